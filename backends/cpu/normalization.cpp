// CPU softmax, layer_norm and its backward over contiguous rows: parallel over
// rows, each row in a few vectorized passes that stay in cache (max,
// exp-and-sum, scale; mean, variance, normalize; the two gradient sums, dx).
// float exp comes from vec_math.h so the exp pass
// vectorizes; sums run in T over short blocks and in double across blocks.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif
#include <limits>

#include "backends/bf16_host.h"
#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/parallel.h"
#include "backends/cpu/row_reductions.h"

namespace peso {

namespace {

using cpu::blocked_sum;
using cpu::fast_exp;
using cpu::kSumBlock;
using cpu::prefetch_row;
using cpu::row_grain;
using cpu::row_max;

// Outputs from this size up are written with streaming stores, which skip
// reading each output line into the cache before overwriting it: a tensor
// larger than the last-level cache (32 MB here) will not be read back from it.
constexpr std::int64_t kStreamingBytes = std::int64_t{32} << 20;

// y[i] = scalar(i) for i in [0, n), as vec(i) (16 lanes at i) with streaming
// stores where the target has them (AVX-512; their addresses must be 64-byte
// aligned, so the head goes one by one), scalar(i) elsewhere.
template <typename Scalar, typename Vector>
void store_row_streaming(float* y, std::int64_t n, Scalar scalar, Vector vec) {
    std::int64_t i = 0;
#if defined(__AVX512F__)
    for (; i < n && reinterpret_cast<std::uintptr_t>(y + i) % 64 != 0; ++i) y[i] = scalar(i);
    for (; i + 16 <= n; i += 16) _mm512_stream_ps(y + i, vec(i));
#else
    (void)vec;
#endif
    for (; i < n; ++i) y[i] = scalar(i);
}

// Streaming stores are weakly ordered: a thread publishes its own before the
// parallel region's join.
inline void fence_streaming_stores() {
#if defined(__AVX512F__)
    _mm_sfence();
#endif
}

// y = (x - mu) * rs * w + b (w, b may be null), streamed.
void normalize_row_streaming(float* y, const float* x, const float* w, const float* b, std::int64_t d, float mu,
                             float rs) {
    store_row_streaming(
        y, d,
        [&](std::int64_t j) {
            float v = (x[j] - mu) * rs;
            if (w) v *= w[j];
            if (b) v += b[j];
            return v;
        },
        [&](std::int64_t j) {
#if defined(__AVX512F__)
            __m512 v = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(x + j), _mm512_set1_ps(mu)), _mm512_set1_ps(rs));
            if (w) v = _mm512_mul_ps(v, _mm512_loadu_ps(w + j));
            if (b) v = _mm512_add_ps(v, _mm512_loadu_ps(b + j));
            return v;
#else
            return j;
#endif
        });
}

// Sum of exp(x[i] - m) over the row; also stores into y each exp (softmax)
// or each x[i] - m (log_softmax), so that the store happens in this
// compute-bound pass rather than in a memory-bound one. Meanwhile it
// prefetches `next` (the next row, or null), so that the next row's trip from
// memory overlaps with the exps instead of stalling the next row's max pass.
template <bool Log, typename T>
double exp_sum(T* __restrict y, const T* __restrict x, std::int64_t n, T m, const T* next) {
    double total = 0;
    for (std::int64_t b = 0; b < n; b += kSumBlock) {
        const std::int64_t w = std::min(kSumBlock, n - b);
        prefetch_row(next ? next + b : nullptr, w);
        T s = 0;
#pragma omp simd reduction(+ : s)
        for (std::int64_t i = b; i < b + w; ++i) {
            const T shifted = x[i] - m;
            const T e = fast_exp(shifted);
            y[i] = Log ? shifted : e;
            s += e;
        }
        total += static_cast<double>(s);
    }
    return total;
}

template <typename T>
void softmax_row(T* __restrict y, const T* __restrict x, std::int64_t n, bool log, const T* next) {
    // Subtracting the max keeps exp from overflowing; a row of -inf gives
    // -inf - -inf = NaN everywhere, as in PyTorch. Three passes over a row
    // that stays in cache: max; exp and its sum; scale (or shift, for log).
    const T m = row_max(x, n);
    if (log) {
        const T log_sum = static_cast<T>(std::log(exp_sum<true>(y, x, n, m, next)));
#pragma omp simd
        for (std::int64_t i = 0; i < n; ++i) y[i] -= log_sum;
        return;
    }
    const T scale = static_cast<T>(1.0 / exp_sum<false>(y, x, n, m, next));
#pragma omp simd
    for (std::int64_t i = 0; i < n; ++i) y[i] *= scale;
}

template <typename T>
void layer_norm_row(T* __restrict y, T* mean_out, T* rstd_out, const T* __restrict x, const T* __restrict w,
                    const T* __restrict b, std::int64_t d, double eps, const T* next, bool streaming) {
    // Two passes: the mean, then the biased variance around it (deviations
    // from the mean rounded to T, whose error is negligible next to the spread).
    const double mean = blocked_sum(x, d, [](T v) { return v; }) / static_cast<double>(d);
    const T mu = static_cast<T>(mean);
    prefetch_row(next, d);
    const double m2 = blocked_sum(x, d, [mu](T v) { return (v - mu) * (v - mu); });
    const double rstd = 1.0 / std::sqrt(m2 / static_cast<double>(d) + eps);
    *mean_out = static_cast<T>(mean);
    *rstd_out = static_cast<T>(rstd);
    const T rs = static_cast<T>(rstd);
    if constexpr (std::is_same_v<T, float>) {
        if (streaming) return normalize_row_streaming(y, x, w, b, d, mu, rs);
    }
    if (w && b) {
#pragma omp simd
        for (std::int64_t i = 0; i < d; ++i) y[i] = (x[i] - mu) * rs * w[i] + b[i];
    } else if (w) {
#pragma omp simd
        for (std::int64_t i = 0; i < d; ++i) y[i] = (x[i] - mu) * rs * w[i];
    } else if (b) {
#pragma omp simd
        for (std::int64_t i = 0; i < d; ++i) y[i] = (x[i] - mu) * rs + b[i];
    } else {
#pragma omp simd
        for (std::int64_t i = 0; i < d; ++i) y[i] = (x[i] - mu) * rs;
    }
}

// The row sums layer_norm's backward needs, g = dy * w (dy without weight):
// sum(g) and sum(g * xhat), in blocks summed in T and added in double.
template <bool HasW, typename T>
std::pair<double, double> layer_norm_grad_sums(const T* __restrict dy, const T* __restrict x, const T* __restrict w,
                                               std::int64_t d, T mu, T rs) {
    double sum_g = 0, sum_gx = 0;
    for (std::int64_t b = 0; b < d; b += kSumBlock) {
        const std::int64_t e = std::min(d, b + kSumBlock);
        T sg = 0, sgx = 0;
#pragma omp simd reduction(+ : sg, sgx)
        for (std::int64_t i = b; i < e; ++i) {
            const T g = HasW ? dy[i] * w[i] : dy[i];
            sg += g;
            sgx += g * ((x[i] - mu) * rs);
        }
        sum_g += static_cast<double>(sg);
        sum_gx += static_cast<double>(sgx);
    }
    return {sum_g, sum_gx};
}

// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)).
template <bool HasW, typename T>
void layer_norm_grad_input_row(T* __restrict dx, const T* __restrict dy, const T* __restrict x,
                               const T* __restrict w, std::int64_t d, T mu, T rs, T m1, T m2) {
#pragma omp simd
    for (std::int64_t i = 0; i < d; ++i) {
        const T g = HasW ? dy[i] * w[i] : dy[i];
        dx[i] = rs * (g - m1 - ((x[i] - mu) * rs) * m2);
    }
}

// This row's share of dweight (dy * xhat) and dbias (dy), added in double.
template <typename T>
void layer_norm_grad_affine_row(double* __restrict dw, double* __restrict db, const T* __restrict dy,
                                const T* __restrict x, std::int64_t d, T mu, T rs) {
#pragma omp simd
    for (std::int64_t i = 0; i < d; ++i) {
        dw[i] += static_cast<double>(dy[i] * ((x[i] - mu) * rs));
        db[i] += static_cast<double>(dy[i]);
    }
}

// Rows go to a fixed number of chunks, set by the size alone, each with its
// own dweight/dbias partial sums, added in chunk order: the result does not
// depend on the number of threads.
std::int64_t grad_chunks(std::int64_t rows, std::int64_t d) {
    return std::clamp<std::int64_t>(rows * d / cpu::kParallelGrain, 1, std::min<std::int64_t>(rows, 64));
}

}  // namespace

void CpuBackend::softmax(const TensorArg& out, const TensorArg& in, bool log) {
    if (bf16::any(out, in)) {  // the float32 kernel on widened copies (bf16_host.h)
        const bf16::Widened w_out(*this, out, bf16::Widened::Role::out),
              w_in(*this, in, bf16::Widened::Role::in);
        return softmax(w_out, w_in, log);
    }
    visit_floating(in.dtype, log ? "log_softmax" : "softmax", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const std::int64_t rows = in.sizes[0], n = in.sizes[1];
        cpu::parallel_for(rows, row_grain(n, 8192), [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t r = b; r < e; ++r) {
                const T* next = r + 1 < e ? in.ptr<T>() + (r + 1) * n : nullptr;
                softmax_row(out.ptr<T>() + r * n, in.ptr<T>() + r * n, n, log, next);
            }
        });
    });
}

void CpuBackend::layer_norm(const TensorArg& out, const TensorArg& mean, const TensorArg& rstd, const TensorArg& x,
                            const TensorArg& weight, const TensorArg& bias, double eps) {
    if (bf16::any(out, mean, rstd, x, weight, bias)) {  // the float32 kernel on widened copies (bf16_host.h)
        const bf16::Widened w_out(*this, out, bf16::Widened::Role::out),
              w_mean(*this, mean, bf16::Widened::Role::out),
              w_rstd(*this, rstd, bf16::Widened::Role::out),
              w_x(*this, x, bf16::Widened::Role::in),
              w_weight(*this, weight, bf16::Widened::Role::in),
              w_bias(*this, bias, bf16::Widened::Role::in);
        return layer_norm(w_out, w_mean, w_rstd, w_x, w_weight, w_bias, eps);
    }
    visit_floating(x.dtype, "layer_norm", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const std::int64_t rows = x.sizes[0], d = x.sizes[1];
        const T* w = weight.ptr<T>();
        const T* b = bias.ptr<T>();
        const bool streaming = rows * d * static_cast<std::int64_t>(sizeof(T)) >= kStreamingBytes;
        cpu::parallel_for(rows, row_grain(d, 8192), [&](std::int64_t lo, std::int64_t hi) {
            for (std::int64_t r = lo; r < hi; ++r) {
                const T* next = r + 1 < hi ? x.ptr<T>() + (r + 1) * d : nullptr;
                layer_norm_row(out.ptr<T>() + r * d, mean.ptr<T>() + r * mean.strides[0],
                               rstd.ptr<T>() + r * rstd.strides[0], x.ptr<T>() + r * d, w, b, d, eps, next,
                               streaming);
            }
            if (streaming) fence_streaming_stores();
        });
    });
}

void CpuBackend::layer_norm_backward(const TensorArg& dx, const TensorArg& dweight, const TensorArg& dbias,
                                     const TensorArg& dy, const TensorArg& x, const TensorArg& mean,
                                     const TensorArg& rstd, const TensorArg& weight) {
    if (bf16::any(dx, dweight, dbias, dy, x, mean, rstd, weight)) {  // the float32 kernel on widened copies (bf16_host.h)
        const bf16::Widened w_dx(*this, dx, bf16::Widened::Role::out),
              w_dweight(*this, dweight, bf16::Widened::Role::out),
              w_dbias(*this, dbias, bf16::Widened::Role::out),
              w_dy(*this, dy, bf16::Widened::Role::in),
              w_x(*this, x, bf16::Widened::Role::in),
              w_mean(*this, mean, bf16::Widened::Role::in),
              w_rstd(*this, rstd, bf16::Widened::Role::in),
              w_weight(*this, weight, bf16::Widened::Role::in);
        return layer_norm_backward(w_dx, w_dweight, w_dbias, w_dy, w_x, w_mean, w_rstd, w_weight);
    }
    visit_floating(x.dtype, "layer_norm_backward", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const std::int64_t rows = x.sizes[0], d = x.sizes[1];
        const bool affine = dweight.data || dbias.data;
        const std::int64_t chunks = grad_chunks(rows, d);
        std::vector<double> partial(affine ? static_cast<std::size_t>(2 * chunks * d) : 0, 0.0);
        const T* w = weight.ptr<T>();
        auto row = [&](std::int64_t r, double* dw, double* db) {
            const T* xr = x.ptr<T>() + r * d;
            const T* gr = dy.ptr<T>() + r * d;
            const T mu = mean.ptr<T>()[r * mean.strides[0]], rs = rstd.ptr<T>()[r * rstd.strides[0]];
            if (affine) layer_norm_grad_affine_row(dw, db, gr, xr, d, mu, rs);
            if (!dx.data) return;
            const auto [sum_g, sum_gx] = w ? layer_norm_grad_sums<true>(gr, xr, w, d, mu, rs)
                                           : layer_norm_grad_sums<false>(gr, xr, w, d, mu, rs);
            const T m1 = static_cast<T>(sum_g / static_cast<double>(d));
            const T m2 = static_cast<T>(sum_gx / static_cast<double>(d));
            T* out = dx.ptr<T>() + r * d;
            if (w) layer_norm_grad_input_row<true>(out, gr, xr, w, d, mu, rs, m1, m2);
            else layer_norm_grad_input_row<false>(out, gr, xr, w, d, mu, rs, m1, m2);
        };
        cpu::parallel_for(chunks, 1, [&](std::int64_t c0, std::int64_t c1) {
            for (std::int64_t c = c0; c < c1; ++c) {
                double* dw = affine ? partial.data() + 2 * c * d : nullptr;
                for (std::int64_t r = c * rows / chunks; r < (c + 1) * rows / chunks; ++r)
                    row(r, dw, dw ? dw + d : nullptr);
            }
        });
        if (!affine) return;
        for (std::int64_t i = 0; i < d; ++i) {
            double sw = 0, sb = 0;
            for (std::int64_t c = 0; c < chunks; ++c) {
                sw += partial[static_cast<std::size_t>(2 * c * d + i)];
                sb += partial[static_cast<std::size_t>((2 * c + 1) * d + i)];
            }
            if (dweight.data) dweight.ptr<T>()[i] = static_cast<T>(sw);
            if (dbias.data) dbias.ptr<T>()[i] = static_cast<T>(sb);
        }
    });
}

}  // namespace peso
