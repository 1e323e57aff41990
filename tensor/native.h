#pragma once
// The tensor layer's ops: shapes, broadcasting, promotion and output
// allocation, then one backend call. These know nothing of autograd; the
// public functions users call (tensor/functions.h) are these, and the autograd
// layer replaces the differentiable ones with recording wrappers.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <tuple>
#include <vector>

#include "backends/adam_step.h"
#include "backends/attention_params.h"
#include "backends/sgd_step.h"
#include "backends/primitives.h"
#include "core/scalar.h"
#include "tensor/generator.h"
#include "tensor/tensor.h"

/// The tensor layer: each op checks shapes and dtypes, allocates its output and
/// makes one backend call, recording nothing for autograd. tensor/functions.h
/// exports the ops without gradients into peso; autograd/functions.h declares
/// the differentiable ones there.
namespace peso::native {

// The differentiable ops (their forward), from the one list of their signatures.
#define PESO_OP(name, params, ...) __VA_ARGS__ name params;
#include "tensor/differentiable_ops.def"
#undef PESO_OP

// ---- creation (creation.cpp) -----------------------------------------------
/// A tensor of this shape with uninitialized data (float32 unless opts give a dtype).
Tensor empty(const Dims& shape, TensorOptions opts = {});
/// A tensor with these sizes and strides, uninitialized.
Tensor empty_strided(const Dims& shape, const Dims& strides, TensorOptions opts = {});
/// A tensor of this shape filled with 0 (float32 unless opts give a dtype).
Tensor zeros(const Dims& shape, TensorOptions opts = {});
/// A tensor of this shape filled with 1 (float32 unless opts give a dtype).
Tensor ones(const Dims& shape, TensorOptions opts = {});
/// A tensor of this shape filled with `value`.
Tensor full(const Dims& shape, Scalar value, TensorOptions opts = {});  ///< dtype inferred from value if not given
/// A 0-dim tensor holding `value` (dtype inferred from it unless given).
Tensor scalar_tensor(Scalar value, TensorOptions opts = {});
/// 0, 1, ... up to `end` (exclusive): int64 for an integer end, float32 for a floating one.
Tensor arange(Scalar end, TensorOptions opts = {});
/// start, start + step, ... up to `end` (exclusive); ValueError for a zero step or a wrong sign.
Tensor arange(Scalar start, Scalar end, Scalar step = 1, TensorOptions opts = {});
/// `steps` evenly spaced values from `start` to `end`, both included.
Tensor linspace(double start, double end, std::int64_t steps, TensorOptions opts = {});
/// The n x m identity matrix (m = n when not given).
Tensor eye(std::int64_t n, std::optional<std::int64_t> m = {}, TensorOptions opts = {});
/// An uninitialized tensor of t's shape, dtype and device.
Tensor empty_like(const Tensor& t);
/// Zeros of t's shape, dtype and device.
Tensor zeros_like(const Tensor& t);
/// Ones of t's shape, dtype and device.
Tensor ones_like(const Tensor& t);
/// `value` in t's shape, dtype and device.
Tensor full_like(const Tensor& t, Scalar value);
/// Copies host values into a new tensor of the given shape (default: 1-D).
template <typename T> Tensor from_vector(const std::vector<T>& values, std::optional<Dims> shape = {},
                                        Device device = Device::cpu());
/// A 1-D float32 tensor of these values: `tensor({1.f, 2.f})`.
Tensor tensor(std::initializer_list<float> values);

// ---- random (random.cpp); gen == nullptr uses the default generator -------------
/// Uniform random numbers in [0, 1) (float32 unless opts give a dtype).
Tensor rand(const Dims& shape, TensorOptions opts = {}, Generator* gen = nullptr);
/// Standard normal random numbers (float32 unless opts give a dtype).
Tensor randn(const Dims& shape, TensorOptions opts = {}, Generator* gen = nullptr);
/// Random integers in [low, high).
Tensor randint(std::int64_t low, std::int64_t high, const Dims& shape, TensorOptions opts = {},
               Generator* gen = nullptr);  ///< int64 unless opts say otherwise
/// A random permutation of 0..n-1 (int64 unless opts give a dtype).
Tensor randperm(std::int64_t n, TensorOptions opts = {}, Generator* gen = nullptr);
/// rand() in t's shape, dtype and device.
Tensor rand_like(const Tensor& t, Generator* gen = nullptr);
/// randn() in t's shape, dtype and device.
Tensor randn_like(const Tensor& t, Generator* gen = nullptr);
/// 1 with probability p, else 0, for each element of p.
Tensor bernoulli(const Tensor& p, Generator* gen = nullptr);  ///< 0/1 in p's dtype
/// `num_samples` indices (int64) drawn from each row of the non-negative weights `probs`.
Tensor multinomial(const Tensor& probs, std::int64_t num_samples, bool replacement = false,
                   Generator* gen = nullptr);

// ---- elementwise (elementwise.cpp) -------------------------------------------
/// The elementwise op `op` (backends/primitives.h) of x, with its parameters.
Tensor unary(UnaryOp op, const Tensor& x, UnaryParams p = {});
/// grad * gelu'(x) in one pass (the derivative gelu's backward needs when no
/// graph of the backward itself is recorded); grad and x broadcast.
Tensor gelu_backward(const Tensor& grad, const Tensor& x, std::string_view approximate = "none");
/// !x for each element, as a bool tensor.
Tensor logical_not(const Tensor& x);
/// Whether each element is NaN, as a bool tensor.
Tensor isnan(const Tensor& x);
/// Whether each element is +-Inf, as a bool tensor.
Tensor isinf(const Tensor& x);

/// The elementwise op `op` (backends/primitives.h) of a and b, broadcasting and promoting.
Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b);
/// The elementwise op `op` of a and the number b.
Tensor binary(BinaryOp op, const Tensor& a, Scalar b);
/// The elementwise op `op` of the number a and b.
Tensor binary(BinaryOp op, Scalar a, const Tensor& b);
/// alpha * other for add/sub with alpha, in the dtype self and other promote to
/// (PyTorch's result_type(self, other)): an integer `other` with a floating
/// alpha does not turn float32 first, to outrank a 0-dim float64 self or round.
Tensor alpha_times(const Tensor& self, const Tensor& other, Scalar alpha);
/// floor(a / b) elementwise, broadcasting.
Tensor floor_divide(const Tensor& a, const Tensor& b);
/// a == b elementwise, broadcasting, as a bool tensor.
Tensor eq(const Tensor& a, const Tensor& b);
/// a != b elementwise, broadcasting, as a bool tensor.
Tensor ne(const Tensor& a, const Tensor& b);
/// a < b elementwise, broadcasting, as a bool tensor.
Tensor lt(const Tensor& a, const Tensor& b);
/// a <= b elementwise, broadcasting, as a bool tensor.
Tensor le(const Tensor& a, const Tensor& b);
/// a > b elementwise, broadcasting, as a bool tensor.
Tensor gt(const Tensor& a, const Tensor& b);
/// a >= b elementwise, broadcasting, as a bool tensor.
Tensor ge(const Tensor& a, const Tensor& b);
/// Each element == b, as a bool tensor.
Tensor eq(const Tensor& a, Scalar b);
/// Each element != b, as a bool tensor.
Tensor ne(const Tensor& a, Scalar b);
/// Each element < b, as a bool tensor.
Tensor lt(const Tensor& a, Scalar b);
/// Each element <= b, as a bool tensor.
Tensor le(const Tensor& a, Scalar b);
/// Each element > b, as a bool tensor.
Tensor gt(const Tensor& a, Scalar b);
/// Each element >= b, as a bool tensor.
Tensor ge(const Tensor& a, Scalar b);
/// a && b elementwise (nonzero is true), as a bool tensor.
Tensor logical_and(const Tensor& a, const Tensor& b);
/// a || b elementwise (nonzero is true), as a bool tensor.
Tensor logical_or(const Tensor& a, const Tensor& b);
/// a != b as truth values elementwise, as a bool tensor.
Tensor logical_xor(const Tensor& a, const Tensor& b);
/// In place: the result is written into `self` (whose shape and dtype must hold it).
Tensor& binary_(BinaryOp op, Tensor& self, const Tensor& other);
/// In place: `op` applied to each element of self.
Tensor& unary_(UnaryOp op, Tensor& self, UnaryParams p = {});
/// True when every element is within atol + rtol * |b| (NaNs equal when equal_nan).
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false);
bool equal(const Tensor& a, const Tensor& b);  ///< same shape and exactly equal values

// ---- reductions (reduce.cpp); empty dims = all dims ----------------------
/// The index (int64) of the largest element, of the flattened tensor or along `dim`.
Tensor argmax(const Tensor& x, std::optional<std::int64_t> dim = {}, bool keepdim = false);
/// The index (int64) of the smallest element, of the flattened tensor or along `dim`.
Tensor argmin(const Tensor& x, std::optional<std::int64_t> dim = {}, bool keepdim = false);
/// Whether every element (over `dims`; all when empty) is nonzero, as a bool tensor.
Tensor all(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
/// Whether any element (over `dims`; all when empty) is nonzero, as a bool tensor.
Tensor any(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
/// (xs.size()) float64 on the tensors' one device: element i is sum |xs[i]|^p
/// for finite p > 0, max |xs[i]| for infinite p (NaN when xs[i] holds one),
/// accumulated in double in an order that does not depend on the thread count.
/// Non-contiguous or non-float32/64 inputs are first made contiguous float64.
Tensor norm_powers(const std::vector<Tensor>& xs, double p);

// ---- linear algebra (linalg.cpp) ---------------------------------------------
/// The explicit form of an einsum equation for these operands: one letter per
/// dim of each operand (repeats kept; the dims "..." covers get letters of
/// their own) and the output's letters. einsum's backward works on this form.
struct EinsumLabels {
    std::vector<std::string> inputs;  ///< each operand's letters, one per dim
    std::string output;               ///< the output's letters
};
/// The explicit labels of `equation` for these operands (ShapeError when they do not fit).
EinsumLabels einsum_labels(std::string_view equation, const std::vector<Tensor>& operands);

// ---- normalization (normalization.cpp) ---------------------------------------
/// layer_norm's gradients from dy and the forward's x, mean and rstd (shaped like
/// x's leading dims), in one backend pass: (dx, dweight, dbias), each undefined
/// unless wanted (dweight and dbias also when weight / there is no affine part).
struct LayerNormGradsWanted {
    bool input = true;   ///< dx
    bool weight = true;  ///< dweight
    bool bias = true;    ///< dbias
};
/// See LayerNormGradsWanted.
std::tuple<Tensor, Tensor, Tensor> layer_norm_backward(const Tensor& dy, const Tensor& x, const Dims& normalized_shape,
                                                       const Tensor& mean, const Tensor& rstd, const Tensor& weight,
                                                       LayerNormGradsWanted wanted);

// ---- fused cross-entropy over (N, C) rows (cross_entropy.cpp) ----------------
/// (loss, lse): per-row logsumexp(row) - row[target] (0 where !valid) and each
/// row's logsumexp. target (N) int64; valid (N) bool; targets of valid rows in [0, C).
std::tuple<Tensor, Tensor> cross_entropy_rows(const Tensor& logits, const Tensor& target, const Tensor& valid);
/// d loss / d logits = (softmax(logits) - one_hot(target)) * grad[r], 0 where !valid.
Tensor cross_entropy_rows_backward(const Tensor& grad, const Tensor& logits, const Tensor& target, const Tensor& valid,
                                   const Tensor& lse);

// ---- fused attention (attention.cpp) ------------------------------------------
/// (out, lse): out = dropout(softmax(q k^T * p.scale, causal)) @ v in one pass
/// over tiles, without the (T, S) weights in memory; lse (..., T), each
/// query's log-sum-exp of its scaled scores. q (..., T, E), k (..., S, E),
/// v (..., S, Ev) of one floating dtype on one device, leading dims
/// broadcast; T, S and E may not be 0 (S or E 0: no key to attend to).
std::tuple<Tensor, Tensor> attention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionParams& p);
/// The gradients (dq, dk, dv) of attention from grad (shaped as out), each of
/// the broadcast leading shape (the caller sums broadcast dims away).
std::tuple<Tensor, Tensor, Tensor> attention_backward(const Tensor& grad, const Tensor& q, const Tensor& k,
                                                      const Tensor& v, const Tensor& out, const Tensor& lse,
                                                      const AttentionParams& p);
/// The number of attention weights (..., T, S) of these inputs: the Philox
/// counters a dropout mask over them uses.
std::int64_t attention_weight_count(const Tensor& q, const Tensor& k, const Tensor& v);

// ---- fused optimizer steps (optimizer_steps.cpp) ------------------------------
/// One parameter's Adam/AdamW update for adam_step().
struct AdamStepTensors {
    Tensor param;        ///< updated in place
    Tensor grad;         ///< its gradient
    Tensor exp_avg;      ///< the first moment, updated in place
    Tensor exp_avg_sq;   ///< the second moment, updated in place
    AdamScalars scalars; ///< learning rate, betas, eps, weight decay, bias corrections
};
/// Whether adam_step can take these: contiguous, float32 or float64, one dtype,
/// shape and device.
bool adam_step_fusable(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq);
/// The Adam/AdamW updates, one backend call per device; throws ValueError
/// before changing anything unless every task is adam_step_fusable. Bumps the
/// versions of what it writes.
void adam_step(const std::vector<AdamStepTensors>& tasks);
/// One parameter's SGD update for sgd_step().
struct SgdStepTensors {
    Tensor param;            ///< updated in place
    Tensor grad;             ///< its gradient
    Tensor momentum_buffer;  ///< defined when momentum != 0
    bool new_buffer = false;              ///< just allocated: its contents are ignored
    SgdScalars scalars;                   ///< learning rate, momentum, dampening, weight decay, flags
};
/// Whether sgd_step can take these: contiguous, float32 or float64, one dtype,
/// shape and device (momentum_buffer may be undefined).
bool sgd_step_fusable(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer);
/// The SGD updates, one backend call per device; throws ValueError before
/// changing anything unless every task is sgd_step_fusable (with a buffer when
/// momentum != 0). Bumps the versions of what it writes.
void sgd_step(const std::vector<SgdStepTensors>& tasks);

// ---- indexing (indexing.cpp) ---------------------------------------------------
/// Integer `indices` as one-hot int64 rows of `num_classes` (max index + 1 when -1).
Tensor one_hot(const Tensor& indices, std::int64_t num_classes = -1);

// ---- joining and splitting (joining.cpp) -------------------------------------

// ---- ordering and scans (ordering.cpp) ----------------------------------------
/// The indices (int64) that sort x along `dim`.
Tensor argsort(const Tensor& x, std::int64_t dim = -1, bool descending = false);

}  // namespace peso::native
