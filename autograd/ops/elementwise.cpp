// Elementwise ops and their derivatives.
#include <cmath>

#include "autograd/ops/common.h"
#include "tensor/broadcast.h"

namespace peso {

using namespace autograd;

namespace {

// Records y = f(x) whose backward needs x (save_input) and/or y (save_out).
Tensor unary_op(const char* name, const Tensor& x, Tensor out, bool save_input, bool save_out, BackwardFn back) {
    if (!should_record({&x})) return out;
    std::vector<SavedTensor> saved{save_input ? save(x) : SavedTensor(), save_out ? save_output(out) : SavedTensor()};
    record(name, {x}, {out}, std::move(saved), std::move(back));
    return out;
}

constexpr double kSqrt2OverPi = 0.79788456080286535588;
constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
constexpr double kTwoOverSqrtPi = 1.12837916709551257390;

}  // namespace

// Convention below: ctx.saved(0) is the input x, ctx.saved(1) the output y.

Tensor neg(const Tensor& x) {
    return unary_op("neg", x, native::neg(x), false, false, [](const Ctx&, const Grads& g) -> Grads { return {neg(g[0])}; });
}
Tensor abs(const Tensor& x) {
    return unary_op("abs", x, native::abs(x), true, false,
                    [](const Ctx& c, const Grads& g) -> Grads { return {mul(g[0], sign(c.saved(0)))}; });
}
Tensor exp(const Tensor& x) {
    return unary_op("exp", x, native::exp(x), false, true,
                    [](const Ctx& c, const Grads& g) -> Grads { return {mul(g[0], c.saved(1))}; });
}
Tensor log(const Tensor& x) {
    return unary_op("log", x, native::log(x), true, false,
                    [](const Ctx& c, const Grads& g) -> Grads { return {div(g[0], c.saved(0))}; });
}
Tensor log1p(const Tensor& x) {
    return unary_op("log1p", x, native::log1p(x), true, false,
                    [](const Ctx& c, const Grads& g) -> Grads { return {div(g[0], add(c.saved(0), 1.0))}; });
}
Tensor sqrt(const Tensor& x) {
    return unary_op("sqrt", x, native::sqrt(x), false, true,
                    [](const Ctx& c, const Grads& g) -> Grads { return {div(g[0], mul(c.saved(1), 2.0))}; });
}
Tensor rsqrt(const Tensor& x) {
    // d/dx x^-1/2 = -1/2 x^-3/2 = -1/2 y^3
    return unary_op("rsqrt", x, native::rsqrt(x), false, true, [](const Ctx& c, const Grads& g) -> Grads {
        return {mul(g[0], mul(pow(c.saved(1), 3), -0.5))};
    });
}
Tensor sin(const Tensor& x) {
    return unary_op("sin", x, native::sin(x), true, false,
                    [](const Ctx& c, const Grads& g) -> Grads { return {mul(g[0], cos(c.saved(0)))}; });
}
Tensor cos(const Tensor& x) {
    return unary_op("cos", x, native::cos(x), true, false,
                    [](const Ctx& c, const Grads& g) -> Grads { return {neg(mul(g[0], sin(c.saved(0))))}; });
}
Tensor tanh(const Tensor& x) {
    return unary_op("tanh", x, native::tanh(x), false, true, [](const Ctx& c, const Grads& g) -> Grads {
        const Tensor y = c.saved(1);
        return {mul(g[0], sub(1.0, mul(y, y)))};
    });
}
Tensor sigmoid(const Tensor& x) {
    return unary_op("sigmoid", x, native::sigmoid(x), false, true, [](const Ctx& c, const Grads& g) -> Grads {
        const Tensor y = c.saved(1);
        return {mul(g[0], mul(y, sub(1.0, y)))};
    });
}
Tensor relu(const Tensor& x) {
    return unary_op("relu", x, native::relu(x), false, true, [](const Ctx& c, const Grads& g) -> Grads {
        return {masked_fill(g[0], native::le(c.saved(1), 0.0), 0.0)};
    });
}
Tensor leaky_relu(const Tensor& x, double negative_slope) {
    // d/dx: 1 where x > 0, negative_slope elsewhere (at 0 too, as PyTorch).
    return unary_op("leaky_relu", x, native::leaky_relu(x, negative_slope), true, false,
                    [negative_slope](const Ctx& c, const Grads& g) -> Grads {
                        return {where(native::gt(c.saved(0), 0.0), g[0], mul(g[0], negative_slope))};
                    });
}
Tensor softplus(const Tensor& x, double beta, double threshold) {
    // d/dx: sigmoid(beta x), and 1 above the threshold where the forward is x.
    return unary_op("softplus", x, native::softplus(x, beta, threshold), true, false,
                    [beta, threshold](const Ctx& c, const Grads& g) -> Grads {
                        const Tensor bx = mul(c.saved(0), beta);
                        return {mul(g[0], where(native::gt(bx, threshold), 1.0, sigmoid(bx)))};
                    });
}
Tensor gelu(const Tensor& x, std::string_view approximate) {
    Tensor out = native::gelu(x, approximate);
    if (approximate == "tanh") {
        // y = x/2 (1 + tanh(u)), u = k (x + 0.044715 x^3)
        return unary_op("gelu_tanh", x, out, true, false, [](const Ctx& c, const Grads& g) -> Grads {
            const Tensor xs = c.saved(0);
            // Without a graph of the backward to record, one fused pass does it.
            if (!c.create_graph()) return {native::gelu_backward(g[0], xs, "tanh")};
            const Tensor x2 = mul(xs, xs);
            const Tensor t = tanh(mul(add(xs, mul(mul(x2, xs), 0.044715)), kSqrt2OverPi));
            const Tensor du = mul(add(mul(x2, 3 * 0.044715), 1.0), kSqrt2OverPi);
            const Tensor d = add(mul(add(t, 1.0), 0.5), mul(mul(mul(xs, sub(1.0, mul(t, t))), du), 0.5));
            return {mul(g[0], d)};
        });
    }
    // y = x Phi(x): dy/dx = Phi(x) + x phi(x)
    return unary_op("gelu", x, out, true, false, [](const Ctx& c, const Grads& g) -> Grads {
        const Tensor xs = c.saved(0);
        if (!c.create_graph()) return {native::gelu_backward(g[0], xs, "none")};
        const Tensor cdf = mul(add(erf(mul(xs, kInvSqrt2)), 1.0), 0.5);
        const Tensor pdf = mul(exp(mul(mul(xs, xs), -0.5)), kInvSqrt2Pi);
        return {mul(g[0], add(cdf, mul(xs, pdf)))};
    });
}
Tensor erf(const Tensor& x) {
    return unary_op("erf", x, native::erf(x), true, false, [](const Ctx& c, const Grads& g) -> Grads {
        const Tensor xs = c.saved(0);
        return {mul(g[0], mul(exp(neg(mul(xs, xs))), kTwoOverSqrtPi))};
    });
}
Tensor reciprocal(const Tensor& x) {
    return unary_op("reciprocal", x, native::reciprocal(x), false, true, [](const Ctx& c, const Grads& g) -> Grads {
        const Tensor y = c.saved(1);
        return {neg(mul(g[0], mul(y, y)))};
    });
}

// Piecewise-constant functions: zero gradient almost everywhere.
#define PESO_ZERO_GRAD_OP(fn)                                                                          \
    Tensor fn(const Tensor& x) {                                                                       \
        return unary_op(#fn, x, native::fn(x), false, false,                                           \
                        [](const Ctx&, const Grads& g) -> Grads { return {zeros_grad(g[0])}; });       \
    }
PESO_ZERO_GRAD_OP(sign)
PESO_ZERO_GRAD_OP(floor)
PESO_ZERO_GRAD_OP(ceil)
PESO_ZERO_GRAD_OP(round)
#undef PESO_ZERO_GRAD_OP

Tensor pow(const Tensor& x, Scalar exponent) {
    const double p = exponent.to_double();
    return unary_op("pow_scalar", x, native::pow(x, exponent), true, false, [p](const Ctx& c, const Grads& g) -> Grads {
        if (p == 0.0) return {zeros_grad(g[0])};
        return {mul(g[0], mul(pow(c.saved(0), p - 1.0), p))};
    });
}

Tensor clamp(const Tensor& x, std::optional<Scalar> lo, std::optional<Scalar> hi) {
    return unary_op("clamp", x, native::clamp(x, lo, hi), true, false, [lo, hi](const Ctx& c, const Grads& g) -> Grads {
        const Tensor xs = c.saved(0);
        // The gradient passes where lo <= x <= hi; with lo > hi nowhere.
        Tensor outside = native::zeros_like(xs).to(DType::b8);
        if (lo) outside = native::logical_or(outside, native::lt(xs, *lo));
        if (hi) outside = native::logical_or(outside, native::gt(xs, *hi));
        if (lo && hi && lo->to_double() > hi->to_double()) outside = native::ones_like(outside);
        return {masked_fill(g[0], outside, 0.0)};
    });
}

// ---- binary ---------------------------------------------------------------------

namespace {

Tensor binary_op(const char* name, const Tensor& a, const Tensor& b, Tensor out, bool save_a, bool save_b,
                 bool save_out, BackwardFn back) {
    if (!should_record({&a, &b})) return out;
    std::vector<SavedTensor> saved{save_a ? save(a) : SavedTensor(), save_b ? save(b) : SavedTensor(),
                                   save_out ? save_output(out) : SavedTensor()};
    record(name, {a, b}, {out}, std::move(saved), std::move(back));
    return out;
}

// Reduces a gradient to an input's shape and dtype (inputs may be promoted).
Tensor fit(const Tensor& g, const Dims& shape, DType dtype) { return to_dtype(sum_to(g, shape), dtype); }

}  // namespace

// Convention below: saved(0) = a, saved(1) = b, saved(2) = out.

Tensor add(const Tensor& a, const Tensor& b, Scalar alpha) {
    const Dims sa = a.sizes(), sb = b.sizes();
    const DType ta = a.dtype(), tb = b.dtype();
    const double al = alpha.to_double();
    return binary_op("add", a, b, native::add(a, b, alpha), false, false, false,
                     [=](const Ctx& c, const Grads& g) -> Grads {
                         Grads r(2);
                         if (c.needs_input_grad(0)) r[0] = fit(g[0], sa, ta);
                         if (c.needs_input_grad(1)) r[1] = fit(al == 1.0 ? g[0] : mul(g[0], al), sb, tb);
                         return r;
                     });
}

Tensor sub(const Tensor& a, const Tensor& b, Scalar alpha) {
    const Dims sa = a.sizes(), sb = b.sizes();
    const DType ta = a.dtype(), tb = b.dtype();
    const double al = alpha.to_double();
    return binary_op("sub", a, b, native::sub(a, b, alpha), false, false, false,
                     [=](const Ctx& c, const Grads& g) -> Grads {
                         Grads r(2);
                         if (c.needs_input_grad(0)) r[0] = fit(g[0], sa, ta);
                         if (c.needs_input_grad(1)) r[1] = fit(mul(g[0], -al), sb, tb);
                         return r;
                     });
}

Tensor mul(const Tensor& a, const Tensor& b) {
    const Dims sa = a.sizes(), sb = b.sizes();
    const DType ta = a.dtype(), tb = b.dtype();
    const bool ga = requires_grad(a), gb = requires_grad(b);
    return binary_op("mul", a, b, native::mul(a, b), gb, ga, false, [=](const Ctx& c, const Grads& g) -> Grads {
        Grads r(2);
        if (c.needs_input_grad(0)) r[0] = fit(mul(g[0], c.saved(1)), sa, ta);
        if (c.needs_input_grad(1)) r[1] = fit(mul(g[0], c.saved(0)), sb, tb);
        return r;
    });
}

Tensor div(const Tensor& a, const Tensor& b) {
    const Dims sa = a.sizes(), sb = b.sizes();
    const DType ta = a.dtype(), tb = b.dtype();
    const bool gb = requires_grad(b);
    return binary_op("div", a, b, native::div(a, b), gb, true, gb, [=](const Ctx& c, const Grads& g) -> Grads {
        Grads r(2);
        const Tensor bs = c.saved(1);
        if (c.needs_input_grad(0)) r[0] = fit(div(g[0], bs), sa, ta);
        if (c.needs_input_grad(1)) r[1] = fit(neg(div(mul(g[0], c.saved(2)), bs)), sb, tb);  // -g a / b^2
        return r;
    });
}

Tensor pow(const Tensor& a, const Tensor& b) {
    const Dims sa = a.sizes(), sb = b.sizes();
    const DType ta = a.dtype(), tb = b.dtype();
    return binary_op("pow", a, b, native::pow(a, b), true, true, true, [=](const Ctx& c, const Grads& g) -> Grads {
        Grads r(2);
        const Tensor as = c.saved(0), bs = c.saved(1);
        if (c.needs_input_grad(0)) r[0] = fit(mul(g[0], mul(bs, pow(as, sub(bs, 1.0)))), sa, ta);
        if (c.needs_input_grad(1)) {
            // 0^b has derivative 0 in b for b >= 0 (PyTorch's convention); log(0) would give NaN.
            const Tensor zero_base = native::logical_and(native::eq(as, 0.0), native::ge(bs, 0.0));
            r[1] = fit(masked_fill(mul(g[0], mul(c.saved(2), log(as))), zero_base, 0.0), sb, tb);
        }
        return r;
    });
}

Tensor maximum(const Tensor& a, const Tensor& b) {
    const Dims sa = a.sizes(), sb = b.sizes();
    const DType ta = a.dtype(), tb = b.dtype();
    return binary_op("maximum", a, b, native::maximum(a, b), true, true, false, [=](const Ctx& c, const Grads& g) -> Grads {
        // Ties split the gradient evenly, as PyTorch does.
        const Tensor as = c.saved(0), bs = c.saved(1);
        const Tensor wa = add(native::gt(as, bs).to(g[0].dtype()), mul(native::eq(as, bs).to(g[0].dtype()), 0.5));
        Grads r(2);
        if (c.needs_input_grad(0)) r[0] = fit(mul(g[0], wa), sa, ta);
        if (c.needs_input_grad(1)) r[1] = fit(mul(g[0], sub(1.0, wa)), sb, tb);
        return r;
    });
}

Tensor minimum(const Tensor& a, const Tensor& b) {
    const Dims sa = a.sizes(), sb = b.sizes();
    const DType ta = a.dtype(), tb = b.dtype();
    return binary_op("minimum", a, b, native::minimum(a, b), true, true, false, [=](const Ctx& c, const Grads& g) -> Grads {
        const Tensor as = c.saved(0), bs = c.saved(1);
        const Tensor wa = add(native::lt(as, bs).to(g[0].dtype()), mul(native::eq(as, bs).to(g[0].dtype()), 0.5));
        Grads r(2);
        if (c.needs_input_grad(0)) r[0] = fit(mul(g[0], wa), sa, ta);
        if (c.needs_input_grad(1)) r[1] = fit(mul(g[0], sub(1.0, wa)), sb, tb);
        return r;
    });
}

Tensor remainder(const Tensor& a, const Tensor& b) {
    const Dims sa = a.sizes(), sb = b.sizes();
    const DType ta = a.dtype(), tb = b.dtype();
    return binary_op("remainder", a, b, native::remainder(a, b), true, true, false, [=](const Ctx& c, const Grads& g) -> Grads {
        Grads r(2);
        if (c.needs_input_grad(0)) r[0] = fit(g[0], sa, ta);
        if (c.needs_input_grad(1)) r[1] = fit(neg(mul(g[0], native::floor_divide(c.saved(0), c.saved(1)))), sb, tb);
        return r;
    });
}

// Scalar operands become 0-dim tensors of the promoted dtype, which keeps a
// single definition per op and the same promotion as the tensor layer.
namespace {
Tensor wrap_for(const Tensor& t, Scalar s) {
    return native::full({}, s, TensorOptions(result_type(t, s)).device(t.device()));
}
}  // namespace

Tensor add(const Tensor& a, Scalar b) { return add(a, wrap_for(a, b)); }
Tensor sub(const Tensor& a, Scalar b) { return sub(a, wrap_for(a, b)); }
Tensor sub(Scalar a, const Tensor& b) { return sub(wrap_for(b, a), b); }
Tensor mul(const Tensor& a, Scalar b) { return mul(a, wrap_for(a, b)); }
Tensor div(const Tensor& a, Scalar b) { return div(a, wrap_for(a, b)); }
Tensor div(Scalar a, const Tensor& b) { return div(wrap_for(b, a), b); }
Tensor pow(Scalar a, const Tensor& b) { return pow(wrap_for(b, a), b); }

// ---- selection ---------------------------------------------------------------------

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
    Tensor out = native::where(cond, a, b);
    if (!should_record({&a, &b})) return out;
    const Dims sa = a.sizes(), sb = b.sizes();
    const DType ta = a.dtype(), tb = b.dtype();
    record("where", {a, b}, {out}, {save(cond)}, [=](const Ctx& c, const Grads& g) -> Grads {
        const Tensor cd = c.saved(0);
        Grads r(2);
        if (c.needs_input_grad(0)) r[0] = fit(masked_fill(g[0], native::logical_not(cd), 0.0), sa, ta);
        if (c.needs_input_grad(1)) r[1] = fit(masked_fill(g[0], cd, 0.0), sb, tb);
        return r;
    });
    return out;
}
Tensor where(const Tensor& cond, Scalar a, const Tensor& b) { return where(cond, wrap_for(b, a), b); }
Tensor where(const Tensor& cond, const Tensor& a, Scalar b) { return where(cond, a, wrap_for(a, b)); }

Tensor masked_fill(const Tensor& x, const Tensor& mask, Scalar value) {
    Tensor out = native::masked_fill(x, mask, value);
    if (!should_record({&x})) return out;
    record("masked_fill", {x}, {out}, {save(mask)}, [](const Ctx& c, const Grads& g) -> Grads {
        return {masked_fill(g[0], c.saved(0), 0.0)};
    });
    return out;
}

// ---- in-place ----------------------------------------------------------------------
// While recording, an in-place op is its out-of-place version followed by
// copy_ into self: copy_ rewrites self's history (or its base's, for a view),
// so every in-place op gets the right gradient from one mechanism.

namespace {

template <typename OutOfPlace, typename InPlace>
Tensor& inplace(Tensor& self, const char* name, std::initializer_list<const Tensor*> others, OutOfPlace&& oop,
                InPlace&& ip) {
    bool rec = should_record({&self});
    for (const Tensor* o : others) rec = rec || should_record({o});
    if (!rec) {
        ip();
        return self;
    }
    check_inplace(self, name);
    // The op reads a copy of self: its backward may need the old values,
    // which the copy_ below overwrites.
    const Tensor old = clone(self);
    const Tensor result = oop(old);
    PESO_CHECK(result.dtype() == self.dtype(), DTypeError,
               "{}: result type {} cannot be stored in the {} tensor being modified in place", name, result.dtype(),
               self.dtype());
    PESO_CHECK(result.sizes() == self.sizes(), ShapeError,
               "{}: the result of shape {} does not fit the tensor of shape {} modified in place", name,
               result.sizes(), self.sizes());
    return copy_(self, result);
}

}  // namespace

Tensor& add_(Tensor& self, const Tensor& other, Scalar alpha) {
    return inplace(self, "add_", {&other}, [&](const Tensor& old) { return add(old, other, alpha); }, [&] {
        if (alpha.to_double() == 1.0) native::binary_(BinaryOp::add, self, other);
        else native::binary_(BinaryOp::add, self, native::mul(other, alpha));
    });
}
Tensor& add_(Tensor& self, Scalar other) {
    return inplace(self, "add_", {}, [&](const Tensor& old) { return add(old, other); },
                   [&] { native::binary_(BinaryOp::add, self, wrap_for(self, other)); });
}
Tensor& sub_(Tensor& self, const Tensor& other, Scalar alpha) {
    return inplace(self, "sub_", {&other}, [&](const Tensor& old) { return sub(old, other, alpha); }, [&] {
        if (alpha.to_double() == 1.0) native::binary_(BinaryOp::sub, self, other);
        else native::binary_(BinaryOp::sub, self, native::mul(other, alpha));
    });
}
Tensor& sub_(Tensor& self, Scalar other) {
    return inplace(self, "sub_", {}, [&](const Tensor& old) { return sub(old, other); },
                   [&] { native::binary_(BinaryOp::sub, self, wrap_for(self, other)); });
}
Tensor& mul_(Tensor& self, const Tensor& other) {
    return inplace(self, "mul_", {&other}, [&](const Tensor& old) { return mul(old, other); },
                   [&] { native::binary_(BinaryOp::mul, self, other); });
}
Tensor& mul_(Tensor& self, Scalar other) {
    return inplace(self, "mul_", {}, [&](const Tensor& old) { return mul(old, other); },
                   [&] { native::binary_(BinaryOp::mul, self, wrap_for(self, other)); });
}
Tensor& div_(Tensor& self, const Tensor& other) {
    return inplace(self, "div_", {&other}, [&](const Tensor& old) { return div(old, other); },
                   [&] { native::binary_(BinaryOp::div, self, other); });
}
Tensor& div_(Tensor& self, Scalar other) {
    return inplace(self, "div_", {}, [&](const Tensor& old) { return div(old, other); },
                   [&] { native::binary_(BinaryOp::div, self, wrap_for(self, other)); });
}
Tensor& clamp_(Tensor& self, std::optional<Scalar> lo, std::optional<Scalar> hi) {
    return inplace(self, "clamp_", {}, [&](const Tensor& old) { return clamp(old, lo, hi); },
                   [&] { native::copy_(self, native::clamp(self, lo, hi)); });
}
Tensor& masked_fill_(Tensor& self, const Tensor& mask, Scalar value) {
    return inplace(self, "masked_fill_", {}, [&](const Tensor& old) { return masked_fill(old, mask, value); },
                   [&] { native::masked_fill_(self, mask, value); });
}

}  // namespace peso
