#pragma once
// The formula of every elementwise primitive, written once for all backends:
// unary_fn<OP>(x) and binary_fn<OP>(a, b) in the element type T (the
// reference backend instantiates them in double, the cpu backend in T).
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "backends/primitives.h"
#include "core/host_device.h"

namespace peso::scalar_ops {

template <typename T> inline constexpr bool is_float_v = std::is_floating_point_v<T>;

template <UnaryOp OP, typename T> PESO_HD inline auto unary_fn(T x, const UnaryParams& p) {
    if constexpr (OP == UnaryOp::logical_not) return !static_cast<bool>(x);
    else if constexpr (OP == UnaryOp::isnan) { if constexpr (is_float_v<T>) return std::isnan(x); else return false; }
    else if constexpr (OP == UnaryOp::isinf) { if constexpr (is_float_v<T>) return std::isinf(x); else return false; }
    else if constexpr (std::is_same_v<T, bool>) {
        // The front-end lets only value-preserving ops reach bool tensors.
        if constexpr (OP == UnaryOp::clamp) return static_cast<bool>(std::fmin(std::fmax(x, p.a), p.b));
        else return x;
    }
    else if constexpr (OP == UnaryOp::neg) return static_cast<T>(-x);
    else if constexpr (OP == UnaryOp::abs) return static_cast<T>(x < 0 ? -x : x);
    else if constexpr (OP == UnaryOp::relu) return static_cast<T>(x < 0 ? T(0) : x);  // NaN passes through
    else if constexpr (OP == UnaryOp::sign) return static_cast<T>((T(0) < x) - (x < T(0)));
    else if constexpr (OP == UnaryOp::leaky_relu) {
        if constexpr (is_float_v<T>) return x > T(0) ? x : x * static_cast<T>(p.a);  // NaN passes through
        else return x;  // integers are computed in floating point (the front-end converts)
    }
    else if constexpr (OP == UnaryOp::softplus) {
        if constexpr (is_float_v<T>) {
            // Above the threshold the result equals x to working precision (PyTorch's cut-off).
            const T beta = static_cast<T>(p.a), bx = x * beta;
            return bx > static_cast<T>(p.b) ? x : static_cast<T>(std::log1p(std::exp(bx)) / beta);
        } else return x;
    }
    else if constexpr (OP == UnaryOp::clamp) {
        if constexpr (is_float_v<T>) {
            // min(max(x, lo), hi): with lo > hi every element becomes hi, as
            // PyTorch documents.
            const T lo = static_cast<T>(p.a), hi = static_cast<T>(p.b);
            if (std::isnan(x)) return x;
            const T above = x < lo ? lo : x;
            return above > hi ? hi : above;
        } else {
            const double v = static_cast<double>(x);
            const double above = v < p.a ? std::ceil(p.a) : v;
            return static_cast<T>(above > p.b ? std::floor(p.b) : above);
        }
    }
    else if constexpr (OP == UnaryOp::pow_scalar) {
        if constexpr (is_float_v<T>) {
            if (p.a == 2.0) return static_cast<T>(x * x);
            return static_cast<T>(std::pow(x, static_cast<T>(p.a)));
        } else {
            T r = 1, b = x;
            for (auto e = static_cast<std::int64_t>(p.a); e > 0; e >>= 1, b = static_cast<T>(b * b))
                if (e & 1) r = static_cast<T>(r * b);
            return r;
        }
    }
    else if constexpr (!is_float_v<T>) {
        // floor/ceil/round of integers are the identity; the floating-only ops
        // never reach integer tensors (the front-end promotes them).
        return x;
    }
    else if constexpr (OP == UnaryOp::exp) return std::exp(x);
    else if constexpr (OP == UnaryOp::log) return std::log(x);
    else if constexpr (OP == UnaryOp::log1p) return std::log1p(x);
    else if constexpr (OP == UnaryOp::sqrt) return std::sqrt(x);
    else if constexpr (OP == UnaryOp::rsqrt) return T(1) / std::sqrt(x);
    else if constexpr (OP == UnaryOp::sin) return std::sin(x);
    else if constexpr (OP == UnaryOp::cos) return std::cos(x);
    else if constexpr (OP == UnaryOp::tanh) return std::tanh(x);
    else if constexpr (OP == UnaryOp::sigmoid) {
        // Written so that neither branch overflows.
        if (x >= 0) return T(1) / (T(1) + std::exp(-x));
        const T e = std::exp(x);
        return e / (T(1) + e);
    }
    else if constexpr (OP == UnaryOp::gelu_erf) return T(0.5) * x * (T(1) + std::erf(x * T(0.70710678118654752440)));
    else if constexpr (OP == UnaryOp::gelu_tanh) {
        const T inner = T(0.79788456080286535588) * (x + T(0.044715) * x * x * x);
        return T(0.5) * x * (T(1) + std::tanh(inner));
    }
    else if constexpr (OP == UnaryOp::erf) return std::erf(x);
    else if constexpr (OP == UnaryOp::floor) return std::floor(x);
    else if constexpr (OP == UnaryOp::ceil) return std::ceil(x);
    else if constexpr (OP == UnaryOp::round) return std::nearbyint(x);  // half to even, as PyTorch
    else if constexpr (OP == UnaryOp::reciprocal) return T(1) / x;
    else static_assert(OP != OP, "unhandled unary op");
}

template <BinaryOp OP, typename T> PESO_HD inline auto binary_fn(T a, T b) {
    if constexpr (OP == BinaryOp::eq) return a == b;
    else if constexpr (OP == BinaryOp::ne) return a != b;
    else if constexpr (OP == BinaryOp::lt) return a < b;
    else if constexpr (OP == BinaryOp::le) return a <= b;
    else if constexpr (OP == BinaryOp::gt) return a > b;
    else if constexpr (OP == BinaryOp::ge) return a >= b;
    else if constexpr (OP == BinaryOp::logical_and) return static_cast<bool>(a) && static_cast<bool>(b);
    else if constexpr (OP == BinaryOp::logical_or) return static_cast<bool>(a) || static_cast<bool>(b);
    else if constexpr (OP == BinaryOp::logical_xor) return static_cast<bool>(a) != static_cast<bool>(b);
    else if constexpr (std::is_same_v<T, bool>) {
        if constexpr (OP == BinaryOp::add || OP == BinaryOp::maximum) return static_cast<bool>(a || b);
        else if constexpr (OP == BinaryOp::mul || OP == BinaryOp::minimum) return static_cast<bool>(a && b);
        else return static_cast<bool>(a);  // rejected by the front-end
    }
    else if constexpr (OP == BinaryOp::add) return static_cast<T>(a + b);
    else if constexpr (OP == BinaryOp::sub) return static_cast<T>(a - b);
    else if constexpr (OP == BinaryOp::mul) return static_cast<T>(a * b);
    else if constexpr (OP == BinaryOp::div) return static_cast<T>(b == 0 && !is_float_v<T> ? 0 : a / b);
    else if constexpr (OP == BinaryOp::maximum) {
        if constexpr (is_float_v<T>) { if (std::isnan(a) || std::isnan(b)) return a + b; }
        return a > b ? a : b;
    }
    else if constexpr (OP == BinaryOp::minimum) {
        if constexpr (is_float_v<T>) { if (std::isnan(a) || std::isnan(b)) return a + b; }
        return a < b ? a : b;
    }
    else if constexpr (OP == BinaryOp::pow) {
        if constexpr (is_float_v<T>) return std::pow(a, b);
        else {
            if (b < 0) return static_cast<T>(a == 1 ? 1 : (a == -1 ? ((b & 1) ? -1 : 1) : 0));
            T r = 1;
            for (T e = b, x = a; e > 0; e >>= 1, x = static_cast<T>(x * x))
                if (e & 1) r = static_cast<T>(r * x);
            return r;
        }
    }
    else if constexpr (OP == BinaryOp::remainder) {  // sign of the divisor, as Python's %
        if constexpr (is_float_v<T>) {
            T r = std::fmod(a, b);
            if (r != 0 && ((r < 0) != (b < 0))) r += b;
            return r;
        } else {
            if (b == 0) return T(0);
            T r = static_cast<T>(a % b);
            if (r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
            return r;
        }
    }
    else if constexpr (OP == BinaryOp::floor_divide) {
        if constexpr (is_float_v<T>) return std::floor(a / b);
        else {
            if (b == 0) return T(0);
            T q = static_cast<T>(a / b);
            if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
            return q;
        }
    }
    else if constexpr (OP == BinaryOp::gelu_erf_backward) {
        if constexpr (is_float_v<T>) {
            // d/dx x Phi(x) = Phi(x) + x phi(x)
            const T cdf = T(0.5) * (T(1) + std::erf(b * T(0.70710678118654752440)));
            const T pdf = T(0.39894228040143267794) * std::exp(T(-0.5) * b * b);
            return a * (cdf + b * pdf);
        } else return a;  // rejected by the front-end
    }
    else if constexpr (OP == BinaryOp::gelu_tanh_backward) {
        if constexpr (is_float_v<T>) {
            // y = x/2 (1 + t), t = tanh(u), u = k (x + c x^3):
            // dy/dx = (1 + t)/2 + x/2 (1 - t^2) k (1 + 3 c x^2)
            constexpr T k = T(0.79788456080286535588), c = T(0.044715);
            const T t = std::tanh(k * (b + c * b * b * b));
            return a * (T(0.5) * (T(1) + t) + T(0.5) * b * (T(1) - t * t) * k * (T(1) + T(3) * c * b * b));
        } else return a;  // rejected by the front-end
    }
    else static_assert(OP != OP, "unhandled binary op");
}

// Calls fn(std::integral_constant<UnaryOp, OP>{}) for the runtime op.
template <typename Fn> decltype(auto) visit_unary(UnaryOp op, Fn&& fn) {
    switch (op) {
#define PESO_UNARY_OP(id, name, result) \
    case UnaryOp::id: return fn(std::integral_constant<UnaryOp, UnaryOp::id>{});
#include "backends/unary_ops.def"
#undef PESO_UNARY_OP
    }
    return fn(std::integral_constant<UnaryOp, UnaryOp::neg>{});
}

template <typename Fn> decltype(auto) visit_binary(BinaryOp op, Fn&& fn) {
    switch (op) {
#define PESO_BINARY_OP(id, name, result) \
    case BinaryOp::id: return fn(std::integral_constant<BinaryOp, BinaryOp::id>{});
#include "backends/binary_ops.def"
#undef PESO_BINARY_OP
    }
    return fn(std::integral_constant<BinaryOp, BinaryOp::add>{});
}

}  // namespace peso::scalar_ops
