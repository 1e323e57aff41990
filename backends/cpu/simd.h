#pragma once
// Helpers of the fused optimizer loops (backends/cpu/adam_step.cpp,
// nn/optim/fused_sgd.cpp): GCC vector types (+, -, *, /
// compile to SIMD instructions), square root and fused multiply-add on them,
// and the split of many tensors' elements between OpenMP threads.
//
// A plain loop with std::sqrt would not vectorize: sqrt may set errno, which
// keeps a branch and a library call in the loop unless the build uses
// -fno-math-errno. The files that include this header also turn off
// floating-point contraction, so that every operation rounds where
// PyTorch's kernels round, and fused multiply-adds happen only where
// fmadd() says (where PyTorch's vectorized kernels use one: add with alpha,
// addcmul into a scaled tensor).
#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <vector>
#if defined(__AVX__)
#include <immintrin.h>
#endif

#include "backends/cpu/parallel.h"

namespace peso::cpu::simd {

typedef float f32x8 __attribute__((vector_size(32)));
typedef double f64x4 __attribute__((vector_size(32)));

template <typename T> struct Vec;
template <> struct Vec<float> {
    using type = f32x8;
    static constexpr std::int64_t width = 8;
};
template <> struct Vec<double> {
    using type = f64x4;
    static constexpr std::int64_t width = 4;
};

template <typename V, typename T> inline V load(const T* p) {
    V v;
    std::memcpy(&v, p, sizeof(V));
    return v;
}
template <typename V, typename T> inline void store(T* p, const V& v) { std::memcpy(p, &v, sizeof(V)); }

inline float root(float x) { return std::sqrt(x); }
inline double root(double x) { return std::sqrt(x); }
inline f32x8 root(f32x8 x) {
#if defined(__AVX__)
    return reinterpret_cast<f32x8>(_mm256_sqrt_ps(reinterpret_cast<__m256>(x)));
#else
    for (int i = 0; i < 8; ++i) x[i] = std::sqrt(x[i]);
    return x;
#endif
}
inline f64x4 root(f64x4 x) {
#if defined(__AVX__)
    return reinterpret_cast<f64x4>(_mm256_sqrt_pd(reinterpret_cast<__m256d>(x)));
#else
    for (int i = 0; i < 4; ++i) x[i] = std::sqrt(x[i]);
    return x;
#endif
}

// a * b + c with one rounding where the CPU has FMA (as PyTorch's kernels
// built for it), two roundings elsewhere.
template <std::floating_point T> inline T fmadd(T a, T b, T c) {
#if defined(__FMA__)
    return std::fma(a, b, c);
#else
    return a * b + c;
#endif
}
inline f32x8 fmadd(f32x8 a, f32x8 b, f32x8 c) {
#if defined(__FMA__)
    return reinterpret_cast<f32x8>(_mm256_fmadd_ps(reinterpret_cast<__m256>(a), reinterpret_cast<__m256>(b),
                                                   reinterpret_cast<__m256>(c)));
#else
    return a * b + c;
#endif
}
inline f64x4 fmadd(f64x4 a, f64x4 b, f64x4 c) {
#if defined(__FMA__)
    return reinterpret_cast<f64x4>(_mm256_fmadd_pd(reinterpret_cast<__m256d>(a), reinterpret_cast<__m256d>(b),
                                                   reinterpret_cast<__m256d>(c)));
#else
    return a * b + c;
#endif
}
// A scalar in every lane (V = T: the scalar itself).
template <typename V, typename T> inline V splat(T x) {
    if constexpr (sizeof(V) == sizeof(T)) {
        return x;
    } else {
        V v;
        for (std::size_t i = 0; i < sizeof(V) / sizeof(T); ++i) v[i] = x;
        return v;
    }
}

// Runs fn(task, begin, end) over element ranges that together cover every
// task's [0, sizes[task]), in ONE parallel region for all tasks (as
// PyTorch's multi-tensor apply): a fork/join per parameter costs little on
// an idle machine but a scheduler time slice on a busy one. The ranges are
// fixed blocks (multiples of every vector width) whatever the thread count,
// so each element takes the same vector or scalar path, and gives the same
// bits, on any number of threads.
template <typename F> void parallel_blocks(const std::vector<std::int64_t>& sizes, F&& fn) {
    constexpr std::int64_t kBlock = std::int64_t{1} << 15;
    struct Block {
        std::size_t task;
        std::int64_t begin, end;
    };
    std::vector<Block> blocks;
    std::int64_t total = 0;
    for (std::size_t t = 0; t < sizes.size(); ++t) {
        for (std::int64_t b = 0; b < sizes[t]; b += kBlock) blocks.push_back({t, b, std::min(sizes[t], b + kBlock)});
        total += sizes[t];
    }
    auto run = [&](std::int64_t b0, std::int64_t b1) {
        for (std::int64_t i = b0; i < b1; ++i) {
            const Block& b = blocks[static_cast<std::size_t>(i)];
            fn(b.task, b.begin, b.end);
        }
    };
    if (total < kParallelGrain) run(0, static_cast<std::int64_t>(blocks.size()));
    else parallel_for(static_cast<std::int64_t>(blocks.size()), 1, run);
}

}  // namespace peso::cpu::simd
