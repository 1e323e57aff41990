#pragma once
// Vectorizable math for the CPU backend's loops. std::exp and friends are
// library calls that stop GCC from vectorizing a loop (unless -ffast-math,
// which peso does not use); these are branch-free inline functions that
// vectorize inside `#pragma omp simd` loops and keep IEEE behaviour at the
// edges (infinities, NaN, subnormal results).
#include <bit>
#include <cmath>
#include <cstdint>

namespace peso::cpu {

// a * b + c, fused (one rounding) where the target has FMA.
inline float madd(float a, float b, float c) {
#if defined(__FMA__)
    return std::fma(a, b, c);
#else
    return a * b + c;
#endif
}

// e^x = 2^n e^r: the integer n nearest x / ln 2 and r = x - n ln 2 in
// [-ln2/2, ln2/2], for x already clamped to the caller's range.
struct ExpReduced {
    float r;
    std::int32_t n;
};

inline ExpReduced exp_reduce(float x) {
    constexpr float kLog2e = 1.44269504088896341f;
    // ln 2 split in two so that n * kLn2Hi is exact for the |n| <= 150 used here.
    constexpr float kLn2Hi = 0.693359375f;
    constexpr float kLn2Lo = -2.12194440e-4f;
    // Adding 1.5 * 2^23 rounds a float of magnitude < 2^22 to an integer,
    // which then sits in the low mantissa bits (no float-to-int conversion,
    // whose result would be undefined for NaN).
    constexpr float kRound = 12582912.0f;
    const float shifted = madd(x, kLog2e, kRound);
    const float n = shifted - kRound;
    float r = madd(n, -kLn2Hi, x);
    r = madd(n, -kLn2Lo, r);
    return {r, std::bit_cast<std::int32_t>(shifted) - std::bit_cast<std::int32_t>(kRound)};
}

// 2^n as a float, for n in [-126, 127].
inline float exp2_int(std::int32_t n) { return std::bit_cast<float>(static_cast<std::uint32_t>(n + 127) << 23); }

// e^x in float, within 1 ulp of the correctly rounded result (measured over
// the whole range by tests/unit/test_normalization.cpp); exp(-inf) = 0,
// exp(x > 88.73) = inf, subnormal results are kept, NaN stays NaN.
inline float exp_f32(float x) {
    // The clamp keeps the exponent arithmetic in range; NaN fails both
    // comparisons and passes through.
    x = x < -104.0f ? -104.0f : x;
    x = x > 89.0f ? 89.0f : x;
    const auto [r, ni] = exp_reduce(x);
    // e^r by its Taylor series to r^7 (truncation error below 0.1 ulp on this range).
    float p = 1.0f / 5040.0f;
    p = madd(p, r, 1.0f / 720.0f);
    p = madd(p, r, 1.0f / 120.0f);
    p = madd(p, r, 1.0f / 24.0f);
    p = madd(p, r, 1.0f / 6.0f);
    p = madd(p, r, 0.5f);
    p = madd(p, r, 1.0f);
    p = madd(p, r, 1.0f);
    // 2^n as two factors 2^n1 * 2^n2, each a normal float for n in [-150, 128]:
    // that keeps subnormal results (n < -126) and overflow to inf (n = 128)
    // right, with a single rounding in the last product.
    const std::int32_t n1 = ni >> 1, n2 = ni - n1;
    return p * exp2_int(n1) * exp2_int(n2);
}

// e^x for x <= 0 where results below e^-87 may be off (they flush to about
// 1.6e-38 rather than to 0 or a subnormal): for callers that multiply it by a
// bounded factor and add it to something of order one (erf, GELU). About half
// the work of exp_f32: no overflow side, one scale factor, a degree-6 series
// (truncation error 1.2e-7 relative on [-ln2/2, ln2/2]).
inline float exp_nonpositive_f32(float x) {
    const auto [r, ni] = exp_reduce(x < -87.0f ? -87.0f : x);
    float p = 1.0f / 720.0f;
    p = madd(p, r, 1.0f / 120.0f);
    p = madd(p, r, 1.0f / 24.0f);
    p = madd(p, r, 1.0f / 6.0f);
    p = madd(p, r, 0.5f);
    p = madd(p, r, 1.0f);
    p = madd(p, r, 1.0f);
    return p * exp2_int(ni);
}

}  // namespace peso::cpu
