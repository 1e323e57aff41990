// Elementwise front-ends: promotion and broadcasting (via broadcast.h), output
// allocation, then one backend call.
#include <cmath>
#include <limits>

#include "backends/registry.h"
#include "tensor/broadcast.h"
#include "tensor/native.h"

namespace peso::native {

namespace {

void run_unary(UnaryOp op, const Tensor& out, const Tensor& in, const UnaryParams& p) {
    if (out.numel() == 0) return;
    TensorArg o = out.arg();
    TensorArg i = broadcast_arg(in, out.sizes());
    TensorArg* args[] = {&o, &i};
    coalesce_dims(args);
    backend_for(out.device()).unary(op, o, i, p);
}

void run_binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
    if (out.numel() == 0) return;
    TensorArg o = out.arg();
    TensorArg x = broadcast_arg(a, out.sizes());
    TensorArg y = broadcast_arg(b, out.sizes());
    TensorArg* args[] = {&o, &x, &y};
    coalesce_dims(args);
    backend_for(out.device()).binary(op, o, x, y);
}

// The dtype an op computes in, given the promoted dtype of its inputs.
DType compute_dtype(BinaryOp op, DType common) {
    if (result_kind(op) == ElementwiseResult::floating && !is_floating(common)) return kDefaultDType;
    return common;
}

void check_binary_dtypes(BinaryOp op, DType compute) {
    PESO_CHECK(!(compute == DType::b8 && (op == BinaryOp::sub || op == BinaryOp::remainder ||
                                          op == BinaryOp::floor_divide || op == BinaryOp::pow)),
               DTypeError, "{}: not supported for bool tensors (use logical_xor / logical ops)", op_name(op));
    PESO_CHECK(is_floating(compute) || dtype_category(compute) <= 1, DTypeError, "{}: unsupported dtype {}",
               op_name(op), compute);
}

Tensor binary_typed(BinaryOp op, const Tensor& a, const Tensor& b, DType common) {
    const char* name = op_name(op).data();
    check_same_device(name, {&a, &b});
    const DType compute = compute_dtype(op, common);
    check_binary_dtypes(op, compute);
    const Dims shape = broadcast_shapes(a.sizes(), b.sizes(), name);
    const DType out_dtype = is_comparison(op) ? DType::b8 : compute;
    Tensor out = empty(shape, TensorOptions(out_dtype).device(a.device()));
    run_binary(op, out, to_dtype(a, compute), to_dtype(b, compute));
    return out;
}

Tensor wrap(Scalar s, DType dtype, Device device) { return full({}, s, TensorOptions(dtype).device(device)); }

}  // namespace

// ---- unary --------------------------------------------------------------------

Tensor unary(UnaryOp op, const Tensor& x, UnaryParams p) {
    const char* name = op_name(op).data();
    PESO_CHECK(x.defined(), ValueError, "{}: undefined input", name);
    PESO_CHECK(!(x.dtype() == DType::b8 && (op == UnaryOp::neg || op == UnaryOp::sign)), DTypeError,
               "{}: not supported for bool tensors (use logical_not)", name);
    DType compute = x.dtype();
    // Integer inputs of ops with a fractional result compute in floating point (as PyTorch).
    const ElementwiseResult kind = result_kind(op);
    if (kind == ElementwiseResult::floating && !is_floating(compute)) compute = kDefaultDType;
    const DType out_dtype = kind == ElementwiseResult::boolean ? DType::b8 : compute;
    Tensor out = empty(x.sizes(), TensorOptions(out_dtype).device(x.device()));
    run_unary(op, out, to_dtype(x, compute), p);
    return out;
}

Tensor& unary_(UnaryOp op, Tensor& self, UnaryParams p) {
    const Tensor result = unary(op, self, p);
    PESO_CHECK(result.dtype() == self.dtype(), DTypeError,
               "{}_: result dtype {} cannot be stored in a tensor of dtype {}", op_name(op), result.dtype(),
               self.dtype());
    return copy_(self, result);
}

Tensor neg(const Tensor& x) { return unary(UnaryOp::neg, x); }
Tensor abs(const Tensor& x) { return unary(UnaryOp::abs, x); }
Tensor exp(const Tensor& x) { return unary(UnaryOp::exp, x); }
Tensor log(const Tensor& x) { return unary(UnaryOp::log, x); }
Tensor log1p(const Tensor& x) { return unary(UnaryOp::log1p, x); }
Tensor sqrt(const Tensor& x) { return unary(UnaryOp::sqrt, x); }
Tensor rsqrt(const Tensor& x) { return unary(UnaryOp::rsqrt, x); }
Tensor sin(const Tensor& x) { return unary(UnaryOp::sin, x); }
Tensor cos(const Tensor& x) { return unary(UnaryOp::cos, x); }
Tensor tanh(const Tensor& x) { return unary(UnaryOp::tanh, x); }
Tensor sigmoid(const Tensor& x) { return unary(UnaryOp::sigmoid, x); }
Tensor relu(const Tensor& x) { return unary(UnaryOp::relu, x); }
Tensor leaky_relu(const Tensor& x, double negative_slope) {
    return unary(UnaryOp::leaky_relu, x, {negative_slope, 0.0});
}
Tensor softplus(const Tensor& x, double beta, double threshold) {
    PESO_CHECK(beta != 0.0 && std::isfinite(beta), ValueError, "softplus: beta must be finite and nonzero, got {}",
               beta);
    return unary(UnaryOp::softplus, x, {beta, threshold});
}
Tensor erf(const Tensor& x) { return unary(UnaryOp::erf, x); }
Tensor sign(const Tensor& x) { return unary(UnaryOp::sign, x); }
Tensor floor(const Tensor& x) { return unary(UnaryOp::floor, x); }
Tensor ceil(const Tensor& x) { return unary(UnaryOp::ceil, x); }
Tensor round(const Tensor& x) { return unary(UnaryOp::round, x); }
Tensor reciprocal(const Tensor& x) { return unary(UnaryOp::reciprocal, x); }
Tensor logical_not(const Tensor& x) { return unary(UnaryOp::logical_not, x); }
Tensor isnan(const Tensor& x) { return unary(UnaryOp::isnan, x); }
Tensor isinf(const Tensor& x) { return unary(UnaryOp::isinf, x); }

Tensor gelu(const Tensor& x, std::string_view approximate) {
    PESO_CHECK(approximate == "none" || approximate == "tanh", ValueError,
               "gelu: approximate must be 'none' or 'tanh', got '{}'", approximate);
    return unary(approximate == "tanh" ? UnaryOp::gelu_tanh : UnaryOp::gelu_erf, x);
}

Tensor gelu_backward(const Tensor& grad, const Tensor& x, std::string_view approximate) {
    PESO_CHECK(approximate == "none" || approximate == "tanh", ValueError,
               "gelu_backward: approximate must be 'none' or 'tanh', got '{}'", approximate);
    const DType common = result_type(grad, x);
    PESO_CHECK(is_floating(common), DTypeError, "gelu_backward: needs floating tensors, got {} and {}", grad.dtype(),
               x.dtype());
    return binary_typed(approximate == "tanh" ? BinaryOp::gelu_tanh_backward : BinaryOp::gelu_erf_backward, grad, x,
                        common);
}

Tensor pow(const Tensor& x, Scalar exponent) {
    const DType dt = result_type(x, exponent);
    PESO_CHECK(is_floating(dt) || exponent.to_double() >= 0, ValueError,
               "pow: integers to negative integer powers are not allowed (tensor {}, exponent {})", x.dtype(),
               exponent.to_double());
    PESO_CHECK(dt != DType::b8, DTypeError, "pow: not supported for bool tensors");
    return unary(UnaryOp::pow_scalar, to_dtype(x, dt), {exponent.to_double(), 0.0});
}

Tensor clamp(const Tensor& x, std::optional<Scalar> lo, std::optional<Scalar> hi) {
    PESO_CHECK(lo || hi, ValueError, "clamp: at least one of min and max must be given");
    DType dt = x.dtype();
    if (lo) dt = result_type(to_dtype(x, dt), *lo);
    if (hi) dt = result_type(to_dtype(x, dt), *hi);
    PESO_CHECK(dt != DType::b8, DTypeError, "clamp: not supported for bool tensors");
    const double inf = std::numeric_limits<double>::infinity();
    return unary(UnaryOp::clamp, to_dtype(x, dt), {lo ? lo->to_double() : -inf, hi ? hi->to_double() : inf});
}

// ---- binary -------------------------------------------------------------------

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
    PESO_CHECK(a.defined() && b.defined(), ValueError, "{}: undefined input", op_name(op));
    return binary_typed(op, a, b, result_type(a, b));
}

Tensor binary(BinaryOp op, const Tensor& a, Scalar b) {
    PESO_CHECK(a.defined(), ValueError, "{}: undefined input", op_name(op));
    const DType dt = result_type(a, b);
    return binary_typed(op, a, wrap(b, dt, a.device()), dt);
}

Tensor binary(BinaryOp op, Scalar a, const Tensor& b) {
    PESO_CHECK(b.defined(), ValueError, "{}: undefined input", op_name(op));
    const DType dt = result_type(b, a);
    return binary_typed(op, wrap(a, dt, b.device()), b, dt);
}

Tensor& binary_(BinaryOp op, Tensor& self, const Tensor& other) {
    const char* name = op_name(op).data();
    check_same_device(name, {&self, &other});
    const DType compute = compute_dtype(op, result_type(self, other));
    check_binary_dtypes(op, compute);
    PESO_CHECK(dtype_category(compute) <= dtype_category(self.dtype()) && !is_comparison(op), DTypeError,
               "{}_: result type {} cannot be stored in the {} tensor being modified in place", name, compute,
               self.dtype());
    const Dims shape = broadcast_shapes(self.sizes(), other.sizes(), name);
    PESO_CHECK(shape == self.sizes(), ShapeError,
               "{}_: the result of shape {} does not fit the tensor of shape {} modified in place", name, shape,
               self.sizes());
    self.impl().storage->bump_version();
    if (compute == self.dtype()) {
        run_binary(op, self, self, to_dtype(other, compute));
        return self;
    }
    const Tensor result = binary_typed(op, self, other, compute);
    return copy_(self, result);
}

Tensor alpha_times(const Tensor& self, const Tensor& other, Scalar alpha) {
    return mul(to_dtype(other, result_type(self, other)), alpha);
}
Tensor add(const Tensor& a, const Tensor& b, Scalar alpha) {
    return alpha.to_double() == 1.0 ? binary(BinaryOp::add, a, b) : binary(BinaryOp::add, a, alpha_times(a, b, alpha));
}
Tensor add(const Tensor& a, Scalar b) { return binary(BinaryOp::add, a, b); }
Tensor sub(const Tensor& a, const Tensor& b, Scalar alpha) {
    return alpha.to_double() == 1.0 ? binary(BinaryOp::sub, a, b) : binary(BinaryOp::sub, a, alpha_times(a, b, alpha));
}
Tensor sub(const Tensor& a, Scalar b) { return binary(BinaryOp::sub, a, b); }
Tensor sub(Scalar a, const Tensor& b) { return binary(BinaryOp::sub, a, b); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary(BinaryOp::mul, a, b); }
Tensor mul(const Tensor& a, Scalar b) { return binary(BinaryOp::mul, a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary(BinaryOp::div, a, b); }
Tensor div(const Tensor& a, Scalar b) { return binary(BinaryOp::div, a, b); }
Tensor div(Scalar a, const Tensor& b) { return binary(BinaryOp::div, a, b); }
Tensor pow(const Tensor& a, const Tensor& b) { return binary(BinaryOp::pow, a, b); }
Tensor pow(Scalar a, const Tensor& b) { return binary(BinaryOp::pow, a, b); }
Tensor maximum(const Tensor& a, const Tensor& b) { return binary(BinaryOp::maximum, a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return binary(BinaryOp::minimum, a, b); }
Tensor remainder(const Tensor& a, const Tensor& b) { return binary(BinaryOp::remainder, a, b); }
Tensor floor_divide(const Tensor& a, const Tensor& b) { return binary(BinaryOp::floor_divide, a, b); }
Tensor eq(const Tensor& a, const Tensor& b) { return binary(BinaryOp::eq, a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return binary(BinaryOp::ne, a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return binary(BinaryOp::lt, a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return binary(BinaryOp::le, a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return binary(BinaryOp::gt, a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return binary(BinaryOp::ge, a, b); }
Tensor eq(const Tensor& a, Scalar b) { return binary(BinaryOp::eq, a, b); }
Tensor ne(const Tensor& a, Scalar b) { return binary(BinaryOp::ne, a, b); }
Tensor lt(const Tensor& a, Scalar b) { return binary(BinaryOp::lt, a, b); }
Tensor le(const Tensor& a, Scalar b) { return binary(BinaryOp::le, a, b); }
Tensor gt(const Tensor& a, Scalar b) { return binary(BinaryOp::gt, a, b); }
Tensor ge(const Tensor& a, Scalar b) { return binary(BinaryOp::ge, a, b); }
Tensor logical_and(const Tensor& a, const Tensor& b) { return binary(BinaryOp::logical_and, a, b); }
Tensor logical_or(const Tensor& a, const Tensor& b) { return binary(BinaryOp::logical_or, a, b); }
Tensor logical_xor(const Tensor& a, const Tensor& b) { return binary(BinaryOp::logical_xor, a, b); }

// ---- selection ------------------------------------------------------------------

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
    PESO_CHECK(cond.defined() && a.defined() && b.defined(), ValueError, "where: undefined input");
    check_same_device("where", {&cond, &a, &b});
    PESO_CHECK(cond.dtype() == DType::b8, DTypeError, "where: condition must be bool, got {}", cond.dtype());
    const Dims shape = broadcast_shapes(broadcast_shapes(cond.sizes(), a.sizes(), "where"), b.sizes(), "where");
    const DType dt = result_type(a, b);
    Tensor out = empty(shape, TensorOptions(dt).device(a.device()));
    if (out.numel() == 0) return out;
    const Tensor ac = to_dtype(a, dt), bc = to_dtype(b, dt);
    TensorArg o = out.arg(), c = broadcast_arg(cond, shape), x = broadcast_arg(ac, shape), y = broadcast_arg(bc, shape);
    TensorArg* args[] = {&o, &c, &x, &y};
    coalesce_dims(args);
    backend_for(out.device()).where(o, c, x, y);
    return out;
}

Tensor where(const Tensor& cond, Scalar a, const Tensor& b) {
    return where(cond, wrap(a, result_type(b, a), b.device()), b);
}
Tensor where(const Tensor& cond, const Tensor& a, Scalar b) {
    return where(cond, a, wrap(b, result_type(a, b), a.device()));
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, Scalar value) {
    PESO_CHECK(mask.dtype() == DType::b8, DTypeError, "masked_fill: mask must be bool, got {}", mask.dtype());
    PESO_CHECK(broadcast_shapes(x.sizes(), mask.sizes(), "masked_fill") == x.sizes(), ShapeError,
               "masked_fill: mask of shape {} does not broadcast to the input's shape {}", mask.sizes(), x.sizes());
    return where(mask, wrap(value, x.dtype(), x.device()), x);
}

Tensor& masked_fill_(Tensor& self, const Tensor& mask, Scalar value) {
    const Tensor result = masked_fill(self, mask, value);
    return copy_(self, result);
}

// ---- comparisons of whole tensors -----------------------------------------------

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
    const Dims shape = broadcast_shapes(a.sizes(), b.sizes(), "allclose");
    const auto x = expand(a, shape).to_vector<double>();
    const auto y = expand(b, shape).to_vector<double>();
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (std::isnan(x[i]) || std::isnan(y[i])) {
            if (!(equal_nan && std::isnan(x[i]) && std::isnan(y[i]))) return false;
            continue;
        }
        if (x[i] == y[i]) continue;  // also equal infinities
        if (!(std::abs(x[i] - y[i]) <= atol + rtol * std::abs(y[i]))) return false;
    }
    return true;
}

bool equal(const Tensor& a, const Tensor& b) {
    if (a.sizes() != b.sizes()) return false;
    const auto x = a.to_vector<double>();
    const auto y = b.to_vector<double>();
    return x == y;
}

}  // namespace peso::native
