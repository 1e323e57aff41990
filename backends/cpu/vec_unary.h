#pragma once
// Vectorizable float32 versions of the transcendental unary ops, used by the
// cpu backend's elementwise loops in place of the scalar formulas of
// backends/scalar_ops.h (which call libm and do not vectorize).
#include <cmath>
#include <limits>

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

// erfc(|z|) by Abramowitz and Stegun 7.1.26: t = 1/(1 + p|z|), a degree-5
// polynomial in t times e^(-z^2); absolute error below 1.5e-7. Infinite |z|
// gives t = 0 and so exactly 0.
inline float erfc_abs_f32(float z) {
    const float t = 1.0f / madd(0.3275911f, std::fabs(z), 1.0f);
    float q = 1.061405429f;
    q = madd(q, t, -1.453152027f);
    q = madd(q, t, 1.421413741f);
    q = madd(q, t, -0.284496736f);
    q = madd(q, t, 0.254829592f);
    return q * t * exp_nonpositive_f32(-z * z);
}

// erf: its odd Taylor series near 0 (relative accuracy for tiny x), 1 - erfc
// elsewhere (absolute error below 1.5e-7, a few ulp of erf's value there).
inline float erf_f32(float x) {
    const float x2 = x * x;
    float p = 1.0f / 9360.0f;
    p = madd(p, x2, -1.0f / 1320.0f);
    p = madd(p, x2, 1.0f / 216.0f);
    p = madd(p, x2, -1.0f / 42.0f);
    p = madd(p, x2, 1.0f / 10.0f);
    p = madd(p, x2, -1.0f / 3.0f);
    p = madd(p, x2, 1.0f);
    const float small = 1.12837916709551257f * p * x;
    const float big = 1.0f - erfc_abs_f32(x);
    const float r = std::fabs(x) < 0.5f ? small : (x < 0.0f ? -big : big);
    return x != x ? x : r;
}

// GELU, erf form: x/2 (1 + erf(z)) with z = x / sqrt 2, written with
// e = erfc(|z|) as x e / 2 for z < 0 and x - x e / 2 otherwise. Near 0 the
// error of e (1.5e-7) scales with x, so the result keeps relative accuracy
// there without erf's Taylor branch; that branch is half of erf_f32's work.
inline float gelu_erf_f32(float x) {
    const float z = x * 0.70710678118654752f;
    const float h = 0.5f * x * erfc_abs_f32(z);
    // +inf: x - h would be inf - inf (h = inf * 0); -inf gives NaN as in PyTorch.
    const float r = z < 0.0f ? h : x - h;
    return x == std::numeric_limits<float>::infinity() ? x : r;
}

// g * d/dx gelu_tanh(x) = g ((1 + t)/2 + x/2 (1 - t^2) k (1 + 3 c x^2)), t = tanh(u).
inline float gelu_tanh_backward_f32(float g, float x) {
    constexpr float k = 0.79788456080286535588f, c = 0.044715f;
    const float t = tanh_f32(k * madd(c * x * x, x, x));
    const float du = k * madd(3.0f * c * x, x, 1.0f);
    return g * madd(0.5f * x * madd(-t, t, 1.0f), du, 0.5f * (1.0f + t));
}

// g * d/dx gelu_erf(x) = g (Phi(x) + x phi(x)), Phi from erfc as in gelu_erf_f32.
inline float gelu_erf_backward_f32(float g, float x) {
    const float z = x * 0.70710678118654752f;
    const float half_erfc = 0.5f * erfc_abs_f32(z);
    const float cdf = z < 0.0f ? half_erfc : 1.0f - half_erfc;
    const float pdf = 0.39894228040143267794f * exp_nonpositive_f32(-0.5f * x * x);
    return g * madd(x, pdf, cdf);
}

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
