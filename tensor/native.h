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
#include "backends/sgd_step.h"
#include "backends/primitives.h"
#include "core/scalar.h"
#include "tensor/generator.h"
#include "tensor/tensor.h"

namespace peso::native {

// The differentiable ops (their forward), from the one list of their signatures.
#define PESO_OP(name, params, ...) __VA_ARGS__ name params;
#include "tensor/differentiable_ops.def"
#undef PESO_OP

// ---- creation (creation.cpp) -----------------------------------------------
Tensor empty(const Dims& shape, TensorOptions opts = {});
Tensor empty_strided(const Dims& shape, const Dims& strides, TensorOptions opts = {});
Tensor zeros(const Dims& shape, TensorOptions opts = {});
Tensor ones(const Dims& shape, TensorOptions opts = {});
Tensor full(const Dims& shape, Scalar value, TensorOptions opts = {});  // dtype inferred from value if not given
Tensor scalar_tensor(Scalar value, TensorOptions opts = {});
Tensor arange(Scalar end, TensorOptions opts = {});
Tensor arange(Scalar start, Scalar end, Scalar step = 1, TensorOptions opts = {});
Tensor linspace(double start, double end, std::int64_t steps, TensorOptions opts = {});
Tensor eye(std::int64_t n, std::optional<std::int64_t> m = {}, TensorOptions opts = {});
Tensor empty_like(const Tensor& t);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, Scalar value);
// Copies host values into a new tensor of the given shape (default: 1-D).
template <typename T> Tensor from_vector(const std::vector<T>& values, std::optional<Dims> shape = {},
                                        Device device = Device::cpu());
Tensor tensor(std::initializer_list<float> values);

// ---- random (random.cpp); gen == nullptr uses the default generator -------------
Tensor rand(const Dims& shape, TensorOptions opts = {}, Generator* gen = nullptr);
Tensor randn(const Dims& shape, TensorOptions opts = {}, Generator* gen = nullptr);
Tensor randint(std::int64_t low, std::int64_t high, const Dims& shape, TensorOptions opts = {},
               Generator* gen = nullptr);  // int64 unless opts say otherwise
Tensor randperm(std::int64_t n, TensorOptions opts = {}, Generator* gen = nullptr);
Tensor rand_like(const Tensor& t, Generator* gen = nullptr);
Tensor randn_like(const Tensor& t, Generator* gen = nullptr);
Tensor bernoulli(const Tensor& p, Generator* gen = nullptr);  // 0/1 in p's dtype
Tensor multinomial(const Tensor& probs, std::int64_t num_samples, bool replacement = false,
                   Generator* gen = nullptr);

// ---- elementwise (elementwise.cpp) -------------------------------------------
Tensor unary(UnaryOp op, const Tensor& x, UnaryParams p = {});
// grad * gelu'(x) in one pass (the derivative gelu's backward needs when no
// graph of the backward itself is recorded); grad and x broadcast.
Tensor gelu_backward(const Tensor& grad, const Tensor& x, std::string_view approximate = "none");
Tensor logical_not(const Tensor& x);
Tensor isnan(const Tensor& x);
Tensor isinf(const Tensor& x);

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b);
Tensor binary(BinaryOp op, const Tensor& a, Scalar b);
Tensor binary(BinaryOp op, Scalar a, const Tensor& b);
// alpha * other for add/sub with alpha, in the dtype self and other promote to
// (PyTorch's result_type(self, other)): an integer `other` with a floating
// alpha does not turn float32 first, to outrank a 0-dim float64 self or round.
Tensor alpha_times(const Tensor& self, const Tensor& other, Scalar alpha);
Tensor floor_divide(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, Scalar b);
Tensor ne(const Tensor& a, Scalar b);
Tensor lt(const Tensor& a, Scalar b);
Tensor le(const Tensor& a, Scalar b);
Tensor gt(const Tensor& a, Scalar b);
Tensor ge(const Tensor& a, Scalar b);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_xor(const Tensor& a, const Tensor& b);
// In place: the result is written into `self` (whose shape and dtype must hold it).
Tensor& binary_(BinaryOp op, Tensor& self, const Tensor& other);
Tensor& unary_(UnaryOp op, Tensor& self, UnaryParams p = {});
// True when every element is within atol + rtol * |b| (NaNs equal when equal_nan).
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false);
bool equal(const Tensor& a, const Tensor& b);  // same shape and exactly equal values

// ---- reductions (reduce.cpp); empty dims = all dims ----------------------
Tensor argmax(const Tensor& x, std::optional<std::int64_t> dim = {}, bool keepdim = false);
Tensor argmin(const Tensor& x, std::optional<std::int64_t> dim = {}, bool keepdim = false);
Tensor all(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
Tensor any(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
// (xs.size()) float64 on the tensors' one device: element i is sum |xs[i]|^p
// for finite p > 0, max |xs[i]| for infinite p (NaN when xs[i] holds one),
// accumulated in double in an order that does not depend on the thread count.
// Non-contiguous or non-float32/64 inputs are first made contiguous float64.
Tensor norm_powers(const std::vector<Tensor>& xs, double p);

// ---- linear algebra (linalg.cpp) ---------------------------------------------
// The explicit form of an einsum equation for these operands: one letter per
// dim of each operand (repeats kept; the dims "..." covers get letters of
// their own) and the output's letters. einsum's backward works on this form.
struct EinsumLabels {
    std::vector<std::string> inputs;
    std::string output;
};
EinsumLabels einsum_labels(std::string_view equation, const std::vector<Tensor>& operands);

// ---- normalization (normalization.cpp) ---------------------------------------
// layer_norm's gradients from dy and the forward's x, mean and rstd (shaped like
// x's leading dims), in one backend pass: (dx, dweight, dbias), each undefined
// unless wanted (dweight and dbias also when weight / there is no affine part).
struct LayerNormGradsWanted {
    bool input = true, weight = true, bias = true;
};
std::tuple<Tensor, Tensor, Tensor> layer_norm_backward(const Tensor& dy, const Tensor& x, const Dims& normalized_shape,
                                                       const Tensor& mean, const Tensor& rstd, const Tensor& weight,
                                                       LayerNormGradsWanted wanted);

// ---- fused cross-entropy over (N, C) rows (cross_entropy.cpp) ----------------
// (loss, lse): per-row logsumexp(row) - row[target] (0 where !valid) and each
// row's logsumexp. target (N) int64; valid (N) bool; targets of valid rows in [0, C).
std::tuple<Tensor, Tensor> cross_entropy_rows(const Tensor& logits, const Tensor& target, const Tensor& valid);
// d loss / d logits = (softmax(logits) - one_hot(target)) * grad[r], 0 where !valid.
Tensor cross_entropy_rows_backward(const Tensor& grad, const Tensor& logits, const Tensor& target, const Tensor& valid,
                                   const Tensor& lse);

// ---- fused optimizer steps (optimizer_steps.cpp) ------------------------------
struct AdamStepTensors {
    Tensor param, grad, exp_avg, exp_avg_sq;
    AdamScalars scalars;
};
// Whether adam_step can take these: contiguous, float32 or float64, one dtype,
// shape and device.
bool adam_step_fusable(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq);
// The Adam/AdamW updates, one backend call per device; throws ValueError
// before changing anything unless every task is adam_step_fusable. Bumps the
// versions of what it writes.
void adam_step(const std::vector<AdamStepTensors>& tasks);
struct SgdStepTensors {
    Tensor param, grad, momentum_buffer;  // momentum_buffer defined when momentum != 0
    bool new_buffer = false;              // just allocated: its contents are ignored
    SgdScalars scalars;
};
// Whether sgd_step can take these: contiguous, float32 or float64, one dtype,
// shape and device (momentum_buffer may be undefined).
bool sgd_step_fusable(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer);
// The SGD updates, one backend call per device; throws ValueError before
// changing anything unless every task is sgd_step_fusable (with a buffer when
// momentum != 0). Bumps the versions of what it writes.
void sgd_step(const std::vector<SgdStepTensors>& tasks);

// ---- indexing (indexing.cpp) ---------------------------------------------------
Tensor one_hot(const Tensor& indices, std::int64_t num_classes = -1);

// ---- joining and splitting (joining.cpp) -------------------------------------

// ---- ordering and scans (ordering.cpp) ----------------------------------------
Tensor argsort(const Tensor& x, std::int64_t dim = -1, bool descending = false);

}  // namespace peso::native
