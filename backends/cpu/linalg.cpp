// CPU batched matmul: floating types through OpenBLAS / oneDNN (see gemm.h),
// integer types through a parallel loop (no BLAS has integer GEMM).
#include <algorithm>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/gemm.h"
#include "backends/cpu/parallel.h"

namespace peso {

namespace {

using cpu::GemmOperand;

// Per-matrix work below which one thread per matrix beats a pool per matrix
// even when the batch does not divide evenly among the threads.
constexpr std::int64_t kSmallMatrixWork = std::int64_t{1} << 20;

struct MatmulDims {
    std::int64_t batch, m, n, k;
};

MatmulDims dims_of(const TensorArg& out, const TensorArg& a) {
    return {out.sizes[0], out.sizes[1], out.sizes[2], a.sizes[2]};
}

// How a rows x cols matrix with strides (sr, sc) goes to BLAS without a copy:
// row-major with leading dim sr, or the transpose of a row-major matrix with
// leading dim sc. BLAS needs a unit stride one way and ld >= the other extent.
template <typename T>
std::optional<GemmOperand<T>> blas_view(const T* data, std::int64_t rows, std::int64_t cols, std::int64_t sr,
                                        std::int64_t sc) {
    if ((sc == 1 || cols == 1) && (rows == 1 || sr >= std::max<std::int64_t>(cols, 1)))
        return GemmOperand<T>{data, rows == 1 ? std::max<std::int64_t>(cols, 1) : sr, false};
    if ((sr == 1 || rows == 1) && (cols == 1 || sc >= std::max<std::int64_t>(rows, 1)))
        return GemmOperand<T>{data, cols == 1 ? std::max<std::int64_t>(rows, 1) : sc, true};
    return std::nullopt;
}

// A (B, rows, cols) operand ready for BLAS: the matrix of batch 0, the
// distance between batches (0 when shared), and the packed copy it owns when
// its strides suit neither layout (e.g. a slice with step in both dims).
template <typename T> struct BatchedOperand {
    GemmOperand<T> first;
    std::int64_t batch_stride;
    std::unique_ptr<T[]> packed;

    GemmOperand<T> at(std::int64_t i) const { return {first.data + i * batch_stride, first.ld, first.transposed}; }
};

template <typename T> BatchedOperand<T> prepare(const TensorArg& x) {
    const std::int64_t batch = x.sizes[0], rows = x.sizes[1], cols = x.sizes[2];
    const std::int64_t sb = batch == 1 ? 0 : x.strides[0], sr = x.strides[1], sc = x.strides[2];
    const T* base = x.ptr<const T>();
    if (auto view = blas_view<T>(base, rows, cols, sr, sc)) return {*view, sb, nullptr};
    const std::int64_t copies = sb == 0 ? 1 : batch;
    auto packed = std::make_unique_for_overwrite<T[]>(static_cast<std::size_t>(copies * rows * cols));
    T* dst = packed.get();
    cpu::parallel_for(copies * rows, std::max<std::int64_t>(1, cpu::kParallelGrain / cols),
                      [&](std::int64_t lo, std::int64_t hi) {
                          for (std::int64_t r = lo; r < hi; ++r) {
                              const T* src = base + (r / rows) * sb + (r % rows) * sr;
                              T* row = dst + r * cols;
                              for (std::int64_t c = 0; c < cols; ++c) row[c] = src[c * sc];
                          }
                      });
    return {{dst, cols, false}, copies == 1 ? 0 : rows * cols, std::move(packed)};
}

template <typename T, typename C>
void gemm_one(std::int64_t m, std::int64_t n, std::int64_t k, GemmOperand<T> a, GemmOperand<T> b, C* c,
              bool single_threaded) {
    if constexpr (std::is_same_v<T, float>) {
        cpu::gemm(cpu::choose_gemm_library(m, n, k, b.transposed, single_threaded), m, n, k, a, b, c, n);
    } else {
        cpu::gemm(m, n, k, a, b, c, n);
    }
}

// When b is shared by the whole batch and a's matrices follow each other row
// after row, the batch is one tall (B*M) x K GEMM: fewer, larger calls.
template <typename T>
std::optional<GemmOperand<T>> folded_rows(const BatchedOperand<T>& a, const BatchedOperand<T>& b,
                                          const MatmulDims& d) {
    if (d.batch == 1 || b.batch_stride != 0 || a.first.transposed || a.batch_stride == 0) return std::nullopt;
    if (a.batch_stride == d.m * a.first.ld) return a.first;
    if (d.m == 1 && a.batch_stride >= d.k) return GemmOperand<T>{a.first.data, a.batch_stride, false};
    return std::nullopt;
}

// Threads over the batch (one single-threaded GEMM per matrix) when the batch
// splits evenly or the matrices are too small to keep a pool busy.
bool parallel_over_batch(const MatmulDims& d) {
    const int threads = omp_get_max_threads();
    if (threads == 1 || omp_in_parallel() || d.batch < threads) return false;
    return d.batch % threads == 0 || d.batch >= 4 * threads || d.m * d.n * d.k < kSmallMatrixWork;
}

// T: the operands' element type; C: the GEMM's output type (T, or float for
// bfloat16 operands, whose products accumulate in float32).
template <typename T, typename C = T>
void matmul_floating(const TensorArg& out, C* c, const TensorArg& a, const TensorArg& b) {
    const MatmulDims d = dims_of(out, a);
    const BatchedOperand<T> pa = prepare<T>(a), pb = prepare<T>(b);
    const bool nested = omp_in_parallel();
    if (const auto tall = folded_rows(pa, pb, d)) {
        gemm_one<T, C>(d.batch * d.m, d.n, d.k, *tall, pb.first, c, nested);
        return;
    }
    const auto one = [&](std::int64_t i, bool single) {
        gemm_one<T, C>(d.m, d.n, d.k, pa.at(i), pb.at(i), c + i * d.m * d.n, single);
    };
    if (parallel_over_batch(d)) {
        // An exception must not leave an OpenMP region (that terminates the
        // process): the first one is kept and rethrown on the calling thread.
        std::exception_ptr error;
        cpu::parallel_for(d.batch, 1, [&](std::int64_t lo, std::int64_t hi) {
            try {
                for (std::int64_t i = lo; i < hi; ++i) one(i, true);
            } catch (...) {
#pragma omp critical(peso_matmul_error)
                if (!error) error = std::current_exception();
            }
        });
        if (error) std::rethrow_exception(error);
    } else {
        for (std::int64_t i = 0; i < d.batch; ++i) one(i, nested);
    }
}

// bfloat16 operands: float32 products written to a float32 out directly, or
// to a float32 scratch rounded once into a bfloat16 out.
void matmul_bf16(const TensorArg& out, const TensorArg& a, const TensorArg& b) {
    if (out.dtype == DType::f32) return matmul_floating<bfloat16, float>(out, out.ptr<float>(), a, b);
    const std::int64_t n = out.numel();
    auto scratch = std::make_unique_for_overwrite<float[]>(static_cast<std::size_t>(n));
    matmul_floating<bfloat16, float>(out, scratch.get(), a, b);
    bfloat16* o = out.ptr<bfloat16>();
    cpu::parallel_for(n, cpu::kParallelGrain, [&](std::int64_t lo, std::int64_t hi) {
        bf16::round_from_f32(scratch.get() + lo, o + lo, static_cast<std::size_t>(hi - lo));
    });
}

// Integer products wrap modulo 2^bits as PyTorch's do; computing in the
// unsigned type keeps that defined behaviour.
template <typename T> void matmul_integer(const TensorArg& out, const TensorArg& a, const TensorArg& b) {
    using U = std::make_unsigned_t<T>;
    const MatmulDims d = dims_of(out, a);
    const T* pa = a.ptr<const T>();
    const T* pb = b.ptr<const T>();
    T* c = out.ptr<T>();
    const std::int64_t grain = std::max<std::int64_t>(1, cpu::kParallelGrain / std::max<std::int64_t>(1, d.n * d.k));
    cpu::parallel_for(d.batch * d.m, grain, [&](std::int64_t lo, std::int64_t hi) {
        for (std::int64_t row = lo; row < hi; ++row) {
            const std::int64_t bi = row / d.m, i = row % d.m;
            const T* arow = pa + bi * a.strides[0] + i * a.strides[1];
            const T* bmat = pb + bi * b.strides[0];
            T* o = c + row * d.n;
            std::fill(o, o + d.n, T{0});
            for (std::int64_t k = 0; k < d.k; ++k) {
                const U av = static_cast<U>(arow[k * a.strides[2]]);
                const T* brow = bmat + k * b.strides[1];
                for (std::int64_t j = 0; j < d.n; ++j)
                    o[j] = static_cast<T>(static_cast<U>(o[j]) + av * static_cast<U>(brow[j * b.strides[2]]));
            }
        }
    });
}

}  // namespace

void CpuBackend::matmul(const TensorArg& out, const TensorArg& a, const TensorArg& b) {
    if (out.numel() == 0) return;
    if (a.sizes[2] == 0) {  // an empty sum: BLAS rejects ld = 0, and the answer is zeros anyway (+0.0 in bf16 too)
        std::memset(out.data, 0, static_cast<std::size_t>(out.numel()) * itemsize(out.dtype));
        return;
    }
    switch (out.dtype) {
        case DType::f32:
            if (a.dtype == DType::bf16) return matmul_bf16(out, a, b);
            return matmul_floating<float>(out, out.ptr<float>(), a, b);
        case DType::bf16: return matmul_bf16(out, a, b);
        case DType::f64: return matmul_floating<double>(out, out.ptr<double>(), a, b);
        case DType::i32: return matmul_integer<std::int32_t>(out, a, b);
        case DType::i64: return matmul_integer<std::int64_t>(out, a, b);
        default: break;
    }
    throw DTypeError(fmt::format("matmul: cpu backend has no kernel for dtype {}", out.dtype));
}

}  // namespace peso
