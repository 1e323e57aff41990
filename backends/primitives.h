#pragma once
// The vocabulary of primitive operations a backend implements.
#include <cstdint>
#include <string_view>

namespace peso {

enum class UnaryOp : std::uint8_t {
    neg, abs, exp, log, log1p, sqrt, rsqrt, sin, cos, tanh, sigmoid, relu,
    gelu_erf, gelu_tanh, erf, sign, floor, ceil, round, reciprocal,
    pow_scalar,   // x ** p.a
    clamp,        // min(max(x, p.a), p.b); p.a = -inf / p.b = +inf when absent
    logical_not,  // output is bool
    isnan, isinf, // output is bool
};

enum class BinaryOp : std::uint8_t {
    add, sub, mul, div, pow, maximum, minimum, remainder, floor_divide,
    gelu_erf_backward, gelu_tanh_backward,    // a = gradient of the output, b = x (floating only)
    eq, ne, lt, le, gt, ge,                   // output is bool
    logical_and, logical_or, logical_xor,     // output is bool
};

enum class ReduceOp : std::uint8_t { sum, prod, max, min, all, any };

enum class RandomKind : std::uint8_t {
    uniform,  // U[a, b)
    normal,   // N(a, b^2)
    integer,  // integers in [a, b)
};

struct UnaryParams {
    double a = 0.0;
    double b = 0.0;
};

constexpr bool is_comparison(BinaryOp op) { return op >= BinaryOp::eq; }

std::string_view op_name(UnaryOp op);
std::string_view op_name(BinaryOp op);
std::string_view op_name(ReduceOp op);

}  // namespace peso
