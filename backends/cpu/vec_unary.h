#pragma once
// Vectorizable float32 versions of the transcendental unary ops, used by the
// cpu backend's elementwise loops in place of the scalar formulas of
// backends/scalar_ops.h (which call libm and do not vectorize).
#include "backends/cpu/vec_math.h"
#include "backends/primitives.h"

namespace peso::cpu {

inline float sigmoid_f32(float x) { return 1.0f / (1.0f + exp_f32(-x)); }

// tanh: an odd Taylor polynomial near 0 (where 1 - 2/(e^2x + 1) would lose
// relative accuracy to cancellation), the exponential form elsewhere.
inline float tanh_f32(float x) {
    const float ax = x < 0.0f ? -x : x;
    const float x2 = x * x;
    float p = -929569.0f / 638512875.0f;
    p = madd(p, x2, 21844.0f / 6081075.0f);
    p = madd(p, x2, -1382.0f / 155925.0f);
    p = madd(p, x2, 62.0f / 2835.0f);
    p = madd(p, x2, -17.0f / 315.0f);
    p = madd(p, x2, 2.0f / 15.0f);
    p = madd(p, x2, -1.0f / 3.0f);
    const float small = madd(p * x2, x, x);
    const float big = 1.0f - 2.0f / (exp_f32(2.0f * ax) + 1.0f);
    const float r = ax < 0.4f ? small : (x < 0.0f ? -big : big);
    return x != x ? x : r;
}

// GELU, tanh form: x/2 (1 + tanh(u)) = x * sigmoid(2u), which has no
// cancellation for large negative x.
inline float gelu_tanh_f32(float x) {
    const float u = 0.79788456080286535588f * madd(0.044715f * x * x, x, x);
    return x / (1.0f + exp_f32(-2.0f * u));
}

// erf: its odd Taylor series near 0 (relative accuracy for tiny x), Abramowitz
// and Stegun 7.1.26 elsewhere (absolute error below 1.5e-7, a few ulp of
// erf's value there).
inline float erf_f32(float x) {
    const float ax = x < 0.0f ? -x : x;
    const float x2 = x * x;
    float p = 1.0f / 9360.0f;
    p = madd(p, x2, -1.0f / 1320.0f);
    p = madd(p, x2, 1.0f / 216.0f);
    p = madd(p, x2, -1.0f / 42.0f);
    p = madd(p, x2, 1.0f / 10.0f);
    p = madd(p, x2, -1.0f / 3.0f);
    p = madd(p, x2, 1.0f);
    const float small = 1.12837916709551257f * p * x;
    const float t = 1.0f / madd(0.3275911f, ax, 1.0f);
    float q = 1.061405429f;
    q = madd(q, t, -1.453152027f);
    q = madd(q, t, 1.421413741f);
    q = madd(q, t, -0.284496736f);
    q = madd(q, t, 0.254829592f);
    const float big = 1.0f - q * t * exp_f32(-x2);
    const float r = ax < 0.5f ? small : (x < 0.0f ? -big : big);
    return x != x ? x : r;
}

// GELU, erf form: x/2 (1 + erf(x / sqrt 2)).
inline float gelu_erf_f32(float x) { return 0.5f * x * (1.0f + erf_f32(x * 0.70710678118654752f)); }

// True when `op` has a vectorized float32 version here.
constexpr bool has_vec_f32(UnaryOp op) {
    return op == UnaryOp::exp || op == UnaryOp::sigmoid || op == UnaryOp::tanh || op == UnaryOp::gelu_tanh ||
           op == UnaryOp::erf || op == UnaryOp::gelu_erf;
}

template <UnaryOp OP> inline float vec_f32(float x) {
    if constexpr (OP == UnaryOp::exp) return exp_f32(x);
    else if constexpr (OP == UnaryOp::sigmoid) return sigmoid_f32(x);
    else if constexpr (OP == UnaryOp::tanh) return tanh_f32(x);
    else if constexpr (OP == UnaryOp::erf) return erf_f32(x);
    else if constexpr (OP == UnaryOp::gelu_erf) return gelu_erf_f32(x);
    else return gelu_tanh_f32(x);
}

}  // namespace peso::cpu
