#pragma once
// Row helpers shared by the CPU backend's row-wise kernels (softmax,
// layer_norm and its backward, cross-entropy): a vectorizing exp, the row max,
// blocked sums (in T within vector-friendly blocks, in double across them),
// prefetching the next row, and the parallel grain for rows.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "backends/cpu/reducers.h"
#include "backends/cpu/vec_math.h"

namespace peso::cpu {

// exp that vectorizes for float; double keeps the C library's.
inline float fast_exp(float x) { return cpu::exp_f32(x); }
inline double fast_exp(double x) { return std::exp(x); }

// Rows per parallel chunk so that a chunk holds about `work` elements.
inline std::int64_t row_grain(std::int64_t n, std::int64_t work) {
    return std::max<std::int64_t>(1, work / std::max<std::int64_t>(n, 1));
}

// max that ignores NaN (a NaN reaches every output through the sum anyway),
// which makes the step a plain vector max.
template <typename T> struct MaxIgnoringNan {
    using Acc = T;
    T init() const { return -std::numeric_limits<T>::infinity(); }
    T step(T a, T v) const { return v > a ? v : a; }
    T merge(T a, T b) const { return step(a, b); }
};

template <typename T> T row_max(const T* x, std::int64_t n) {
    const MaxIgnoringNan<T> r;
    return cpu::reduce_run(r, x, 1, n, r.init());
}

// Asks for the row `next` (or nothing when null) to be brought into cache,
// one line per 64 bytes: issued before the passes over a row that is already
// in cache, so the next row's trip from memory overlaps with them.
template <typename T> void prefetch_row(const T* next, std::int64_t n) {
    if (!next) return;
    constexpr std::int64_t kLine = 64 / sizeof(T);
    for (std::int64_t i = 0; i < n; i += kLine) __builtin_prefetch(next + i);
}

// Elements per partial sum of exps: summed in T with vector lanes (short
// enough to stay accurate in float), the partial sums then added in double.
constexpr std::int64_t kSumBlock = 1024;

// sum over the row of f(x[i]), in blocks summed in T with vector lanes and
// then added in double.
template <typename T, typename F> double blocked_sum(const T* __restrict x, std::int64_t n, F f) {
    double total = 0;
    for (std::int64_t b = 0; b < n; b += kSumBlock) {
        const std::int64_t w = std::min(kSumBlock, n - b);
        T s = 0;
#pragma omp simd reduction(+ : s)
        for (std::int64_t i = b; i < b + w; ++i) s += f(x[i]);
        total += static_cast<double>(s);
    }
    return total;
}

}  // namespace peso::cpu
