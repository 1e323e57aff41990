#pragma once
// The Backend interface: the primitives every device implementation provides.
// Shapes, broadcasting, type promotion and output allocation are done once in
// tensor/; a backend receives ready-made TensorArgs (inputs already broadcast
// to the output's shape with zero strides, dtypes already matched) and only
// computes. Each method documents the layout it may assume.
#include <cstdint>
#include <span>
#include <string_view>

#include "backends/adam_step.h"
#include "backends/allocator.h"
#include "backends/attention_params.h"
#include "backends/primitives.h"
#include "backends/sgd_step.h"
#include "backends/tensor_arg.h"
#include "core/device.h"
#include "core/scalar.h"

namespace peso {

class Backend {
public:
    virtual ~Backend() = default;
    virtual std::string_view name() const = 0;
    virtual DeviceType device_type() const = 0;
    virtual Allocator& allocator() = 0;

    // ---- memory ------------------------------------------------------------
    // dst = src elementwise; same sizes, any strides, any dtypes (converts).
    virtual void copy(const TensorArg& dst, const TensorArg& src) = 0;
    // Bytes between host memory and this device (contiguous, whole buffer).
    virtual void copy_from_host(void* dst, const void* src, std::size_t nbytes) = 0;
    virtual void copy_to_host(void* dst, const void* src, std::size_t nbytes) = 0;
    virtual void fill(const TensorArg& dst, Scalar value) = 0;
    // dst[i] = start + i * step over the flat (contiguous) dst.
    virtual void arange(const TensorArg& dst, double start, double step) = 0;
    // Philox-4x32-10 numbers: element i of the contiguous dst uses counter
    // (offset + i) so results do not depend on threads or devices.
    virtual void random(const TensorArg& dst, RandomKind kind, std::uint64_t seed, std::uint64_t offset, double a,
                        double b) = 0;

    // ---- elementwise -------------------------------------------------------
    // out, in: same sizes; in has out's dtype except for the bool-output ops.
    virtual void unary(UnaryOp op, const TensorArg& out, const TensorArg& in, const UnaryParams& p) = 0;
    // out, a, b: same sizes (broadcast dims have stride 0); a and b share a
    // dtype, which is out's dtype except for comparisons and logical ops (bool).
    virtual void binary(BinaryOp op, const TensorArg& out, const TensorArg& a, const TensorArg& b) = 0;
    // out = cond ? a : b; cond is bool, a/b have out's dtype, all same sizes.
    virtual void where(const TensorArg& out, const TensorArg& cond, const TensorArg& a, const TensorArg& b) = 0;

    // ---- reductions --------------------------------------------------------
    // in: out's dims followed by the reduced dims (any strides); out any strides.
    // all/any write bool (x != 0, any input dtype); max/min write in's dtype;
    // sum/prod write in's dtype when floating, else int64 (bool and integer inputs).
    virtual void reduce(ReduceOp op, const TensorArg& out, const TensorArg& in) = 0;
    // Variance over the trailing reduced dims with the given correction.
    virtual void reduce_var(const TensorArg& out, const TensorArg& in, double correction) = 0;
    // max/min with int64 indices over the last dim of in (rows of in: any strides).
    virtual void reduce_with_index(ReduceOp op, const TensorArg& values, const TensorArg& indices,
                                   const TensorArg& in) = 0;

    // ---- linear algebra ----------------------------------------------------
    // out[b] = a[b] @ b[b] for 3-D a (B,M,K), b (B,K,N), out (B,M,N) contiguous.
    // a and b may have any strides (batch stride 0 when broadcast).
    virtual void matmul(const TensorArg& out, const TensorArg& a, const TensorArg& b) = 0;

    // ---- normalization (over the last dim; all args contiguous) -------------
    virtual void softmax(const TensorArg& out, const TensorArg& in, bool log) = 0;
    // x (N,D); weight/bias (D) or undefined (data == nullptr); mean/rstd (N).
    virtual void layer_norm(const TensorArg& out, const TensorArg& mean, const TensorArg& rstd, const TensorArg& x,
                            const TensorArg& weight, const TensorArg& bias, double eps) = 0;
    // The gradients of layer_norm from dy (N,D), x (N,D), the mean and rstd (N,
    // any stride) that layer_norm wrote, and weight (D) or undefined:
    // dx (N,D), dweight = sum_rows(dy * xhat), dbias = sum_rows(dy) (D); any of
    // the three may be undefined (not wanted).
    virtual void layer_norm_backward(const TensorArg& dx, const TensorArg& dweight, const TensorArg& dbias,
                                     const TensorArg& dy, const TensorArg& x, const TensorArg& mean,
                                     const TensorArg& rstd, const TensorArg& weight) = 0;

    // ---- fused cross-entropy over the rows of (N,C) logits ------------------
    // logits contiguous floating; target (N) int64 and valid (N) bool, any
    // stride; the targets of valid rows lie in [0, C) (checked by the caller,
    // or, when checks_on_device(), by a recorded check: a valid row's target
    // outside [0, C) then gives a NaN loss and a 0 gradient row), the others
    // are not read. loss (N) = logsumexp(row) - row[target], 0 on
    // invalid rows; lse (N) gets each row's logsumexp, or is undefined.
    virtual void cross_entropy(const TensorArg& loss, const TensorArg& lse, const TensorArg& logits,
                               const TensorArg& target, const TensorArg& valid) = 0;
    // dlogits (N,C) contiguous = (exp(row - lse) - one_hot(target)) * grad[r]
    // on valid rows, 0 on the others; grad (N) any stride (0 when broadcast),
    // lse (N) as cross_entropy wrote it.
    virtual void cross_entropy_backward(const TensorArg& dlogits, const TensorArg& grad, const TensorArg& logits,
                                        const TensorArg& target, const TensorArg& valid, const TensorArg& lse) = 0;

    // ---- fused attention (scaled dot-product with an online softmax) ---------
    // q (B,H,T,E), k (B,H,S,E), v (B,H,S,Ev) and out (B,H,T,Ev), one floating
    // dtype: any strides on the first three dims (0 where an input is
    // broadcast), the last dim contiguous; T, S, E, Ev > 0. out = dropout(
    // softmax(q k^T * scale, causal)) @ v, without the (T, S) weights in
    // memory; lse (B,H,T) contiguous gets each query's log-sum-exp of its
    // scaled (causal) scores, all the backward needs besides the inputs.
    virtual void attention(const TensorArg& out, const TensorArg& lse, const TensorArg& q, const TensorArg& k,
                           const TensorArg& v, const AttentionParams& p) = 0;
    // The gradients of attention from dout (shaped as out, same layout rules)
    // and out and lse as attention wrote them: dq, dk, dv shaped as q, k, v,
    // last dim contiguous, no broadcast (zero strides) in them.
    virtual void attention_backward(const TensorArg& dq, const TensorArg& dk, const TensorArg& dv,
                                    const TensorArg& dout, const TensorArg& q, const TensorArg& k,
                                    const TensorArg& v, const TensorArg& out, const TensorArg& lse,
                                    const AttentionParams& p) = 0;

    // ---- optimizers ---------------------------------------------------------
    // Adam/AdamW updates of many parameters in one parallel pass (one launch,
    // or one fork/join, for all), each rounded in torch.optim's order (see
    // nn/optim/fused_adam.h).
    virtual void adam_step(std::span<const AdamTask> tasks) = 0;
    // SGD (momentum, dampening, Nesterov, weight decay, maximize) updates of
    // many parameters in one pass, rounded in torch.optim's order (see
    // nn/optim/fused_sgd.h).
    virtual void sgd_step(std::span<const SgdTask> tasks) = 0;
    // out (inputs.size()) float64 contiguous: out[i] = sum |x_i|^p for finite
    // p > 0, max |x_i| for infinite p; NaN anywhere in x_i gives NaN. inputs
    // contiguous float32/float64. Sums are accumulated in double over
    // fixed-size blocks added in order, so results do not depend on the
    // number of threads (the gradient norm of clip_grad_norm_).
    virtual void norm_powers(const TensorArg& out, std::span<const TensorArg> inputs, double p) = 0;

    // ---- checks made on the device ----------------------------------------
    // A device that runs ahead of the host (a GPU) checks index values and
    // class targets itself, so that the host need not wait for it before
    // every embedding or loss: the front-end records the check and raises the
    // failure at the next copy to the host (tensor/device_checks.h). Its
    // indexing kernels must then skip, never follow, an index out of range.
    virtual bool checks_on_device() const { return false; }
    // Queued: if bad[i] for some i (bad bool, value int64, same sizes,
    // contiguous), check `id` (> 0) failed with value[i]; the first failure
    // is kept until taken.
    virtual void record_check(const TensorArg& bad, const TensorArg& value, std::int32_t id);
    // The first check failed since the last call ({0, 0} if none), as of the
    // last copy_to_host (which waited for the device); clears it.
    struct FailedCheck {
        std::int32_t id = 0;
        std::int64_t value = 0;
    };
    virtual FailedCheck take_failed_check() { return {}; }

    // ---- indexing ----------------------------------------------------------
    // in (outer, n, inner), index (k) int64, out (outer, k, inner); contiguous.
    // Indices are validated by the caller, or by a recorded check when
    // checks_on_device() (then a row outside [0, n) is skipped: out gets 0s).
    virtual void index_select(const TensorArg& out, const TensorArg& in, const TensorArg& index) = 0;
    // self (outer, n, inner) += alpha * src (outer, k, inner) at rows index (k)
    // (rows outside [0, n) skipped, as above).
    virtual void index_add(const TensorArg& self, const TensorArg& index, const TensorArg& src, Scalar alpha) = 0;
    // out[..i..] = in[..index[..i..]..] along dim; index and out share sizes
    // (an index outside in's size along dim gives 0, as above).
    virtual void gather(const TensorArg& out, const TensorArg& in, const TensorArg& index, int dim) = 0;
    // self[..index[..i..]..] = src[..i..] (or += when accumulate) along dim
    // (an index outside self's size along dim is skipped, as above).
    virtual void scatter(const TensorArg& self, const TensorArg& index, const TensorArg& src, int dim,
                         bool accumulate) = 0;

    // ---- ordering and scans (over the last dim; contiguous) ----------------
    // Stable sort of each row; indices int64.
    virtual void sort(const TensorArg& values, const TensorArg& indices, const TensorArg& in, bool descending) = 0;
    // The k largest (or smallest) of each row, in sorted order.
    virtual void topk(const TensorArg& values, const TensorArg& indices, const TensorArg& in, std::int64_t k,
                      bool largest) = 0;
    // out has in's dtype when floating, else int64 (bool and integer inputs).
    virtual void cumsum(const TensorArg& out, const TensorArg& in) = 0;
};

}  // namespace peso
