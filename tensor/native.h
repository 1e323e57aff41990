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
#include "backends/primitives.h"
#include "core/scalar.h"
#include "tensor/generator.h"
#include "tensor/tensor.h"

namespace peso::native {

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
Tensor& uniform_(Tensor& t, double lo = 0.0, double hi = 1.0, Generator* gen = nullptr);
Tensor& normal_(Tensor& t, double mean = 0.0, double std = 1.0, Generator* gen = nullptr);

// ---- copies and conversions (copy.cpp) --------------------------------------
Tensor contiguous(const Tensor& t);
Tensor clone(const Tensor& t);
Tensor to_dtype(const Tensor& t, DType dtype);
Tensor to_device(const Tensor& t, Device device);
Tensor& copy_(Tensor& dst, const Tensor& src);  // src broadcast to dst; converts dtype/device
Tensor& fill_(Tensor& t, Scalar value);
Tensor& zero_(Tensor& t);

// ---- views (views.cpp) -------------------------------------------------------
Tensor view(const Tensor& t, const Dims& shape);  // one -1 allowed
Tensor reshape(const Tensor& t, const Dims& shape);
Tensor permute(const Tensor& t, const Dims& order);
Tensor transpose(const Tensor& t, std::int64_t d0, std::int64_t d1);
Tensor narrow(const Tensor& t, std::int64_t dim, std::int64_t start, std::int64_t length);
Tensor slice(const Tensor& t, std::int64_t dim, std::optional<std::int64_t> start,
             std::optional<std::int64_t> end, std::int64_t step);
Tensor select(const Tensor& t, std::int64_t dim, std::int64_t index);
Tensor expand(const Tensor& t, const Dims& shape);
Tensor squeeze(const Tensor& t);
Tensor squeeze(const Tensor& t, std::int64_t dim);
Tensor unsqueeze(const Tensor& t, std::int64_t dim);
Tensor flatten(const Tensor& t, std::int64_t start_dim = 0, std::int64_t end_dim = -1);
Tensor unflatten(const Tensor& t, std::int64_t dim, const Dims& sizes);
Tensor as_strided(const Tensor& t, const Dims& sizes, const Dims& strides, std::optional<std::int64_t> offset);
Tensor diagonal(const Tensor& t, std::int64_t offset = 0, std::int64_t d0 = 0, std::int64_t d1 = 1);

// ---- elementwise (elementwise.cpp) -------------------------------------------
Tensor unary(UnaryOp op, const Tensor& x, UnaryParams p = {});
Tensor neg(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor gelu(const Tensor& x, std::string_view approximate = "none");  // "none" (erf) or "tanh"
// grad * gelu'(x) in one pass (the derivative gelu's backward needs when no
// graph of the backward itself is recorded); grad and x broadcast.
Tensor gelu_backward(const Tensor& grad, const Tensor& x, std::string_view approximate = "none");
Tensor erf(const Tensor& x);
Tensor sign(const Tensor& x);
Tensor floor(const Tensor& x);
Tensor ceil(const Tensor& x);
Tensor round(const Tensor& x);
Tensor reciprocal(const Tensor& x);
Tensor pow(const Tensor& x, Scalar exponent);
Tensor clamp(const Tensor& x, std::optional<Scalar> lo, std::optional<Scalar> hi);
Tensor logical_not(const Tensor& x);
Tensor isnan(const Tensor& x);
Tensor isinf(const Tensor& x);

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b);
Tensor binary(BinaryOp op, const Tensor& a, Scalar b);
Tensor binary(BinaryOp op, Scalar a, const Tensor& b);
Tensor add(const Tensor& a, const Tensor& b, Scalar alpha = 1);
Tensor add(const Tensor& a, Scalar b);
Tensor sub(const Tensor& a, const Tensor& b, Scalar alpha = 1);
Tensor sub(const Tensor& a, Scalar b);
Tensor sub(Scalar a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, Scalar b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, Scalar b);
Tensor div(Scalar a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor pow(Scalar a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor remainder(const Tensor& a, const Tensor& b);
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
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, Scalar a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, Scalar b);
Tensor masked_fill(const Tensor& x, const Tensor& mask, Scalar value);
// In place: the result is written into `self` (whose shape and dtype must hold it).
Tensor& binary_(BinaryOp op, Tensor& self, const Tensor& other);
Tensor& unary_(UnaryOp op, Tensor& self, UnaryParams p = {});
Tensor& masked_fill_(Tensor& self, const Tensor& mask, Scalar value);
// True when every element is within atol + rtol * |b| (NaNs equal when equal_nan).
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false);
bool equal(const Tensor& a, const Tensor& b);  // same shape and exactly equal values

// ---- reductions (reduction.cpp); empty dims = all dims ----------------------
Tensor sum(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
Tensor prod(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
Tensor var(const Tensor& x, const Dims& dims = {}, double correction = 1.0, bool keepdim = false);
Tensor std(const Tensor& x, const Dims& dims = {}, double correction = 1.0, bool keepdim = false);
Tensor amax(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
Tensor amin(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
std::tuple<Tensor, Tensor> max(const Tensor& x, std::int64_t dim, bool keepdim = false);  // values, indices
std::tuple<Tensor, Tensor> min(const Tensor& x, std::int64_t dim, bool keepdim = false);
Tensor argmax(const Tensor& x, std::optional<std::int64_t> dim = {}, bool keepdim = false);
Tensor argmin(const Tensor& x, std::optional<std::int64_t> dim = {}, bool keepdim = false);
Tensor logsumexp(const Tensor& x, const Dims& dims, bool keepdim = false);
Tensor all(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
Tensor any(const Tensor& x, const Dims& dims = {}, bool keepdim = false);

// ---- linear algebra (linalg.cpp) ---------------------------------------------
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor mm(const Tensor& a, const Tensor& b);
Tensor bmm(const Tensor& a, const Tensor& b);
Tensor einsum(std::string_view equation, const std::vector<Tensor>& operands);
// The explicit form of an einsum equation for these operands: one letter per
// dim of each operand (repeats kept; the dims "..." covers get letters of
// their own) and the output's letters. einsum's backward works on this form.
struct EinsumLabels {
    std::vector<std::string> inputs;
    std::string output;
};
EinsumLabels einsum_labels(std::string_view equation, const std::vector<Tensor>& operands);

// ---- normalization (normalization.cpp) ---------------------------------------
Tensor softmax(const Tensor& x, std::int64_t dim);
Tensor log_softmax(const Tensor& x, std::int64_t dim);
// Normalizes over the trailing dims `normalized_shape`; returns (out, mean, rstd)
// with mean/rstd shaped like x's leading dims.
std::tuple<Tensor, Tensor, Tensor> layer_norm(const Tensor& x, const Dims& normalized_shape, const Tensor& weight,
                                              const Tensor& bias, double eps = 1e-5);
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

// ---- indexing (indexing.cpp) ---------------------------------------------------
Tensor embedding(const Tensor& weight, const Tensor& indices);
Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index);
Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index);
Tensor scatter(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter(const Tensor& x, std::int64_t dim, const Tensor& index, Scalar value);
Tensor scatter_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src);
Tensor index_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src, Scalar alpha = 1);
Tensor& scatter_(Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src);
Tensor& scatter_(Tensor& self, std::int64_t dim, const Tensor& index, Scalar value);
Tensor& scatter_add_(Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src);
Tensor& index_add_(Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src, Scalar alpha = 1);
Tensor one_hot(const Tensor& indices, std::int64_t num_classes = -1);

// ---- joining and splitting (joining.cpp) -------------------------------------
Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
std::vector<Tensor> split(const Tensor& x, std::int64_t split_size, std::int64_t dim = 0);
std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& sizes, std::int64_t dim = 0);
std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, std::int64_t dim = 0);
Tensor tril(const Tensor& x, std::int64_t diagonal = 0);
Tensor triu(const Tensor& x, std::int64_t diagonal = 0);

// ---- ordering and scans (sorting.cpp) ----------------------------------------
std::tuple<Tensor, Tensor> sort(const Tensor& x, std::int64_t dim = -1, bool descending = false);
Tensor argsort(const Tensor& x, std::int64_t dim = -1, bool descending = false);
std::tuple<Tensor, Tensor> topk(const Tensor& x, std::int64_t k, std::int64_t dim = -1, bool largest = true,
                                bool sorted = true);
Tensor cumsum(const Tensor& x, std::int64_t dim);

}  // namespace peso::native
