// GEMM through OpenBLAS or oneDNN, and the choice between them.
#include "backends/cpu/gemm.h"

#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>

#include <climits>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/error.h"

// oneDNN exports its row-major bf16 GEMM (as dnnl_sgemm's sibling) without
// declaring it in its public headers; its tests and Intel's TensorFlow
// extension declare it the same way. bfloat16_t there is a 16-bit struct.
extern "C" dnnl_status_t dnnl_gemm_bf16bf16f32(char transa, char transb, dnnl_dim_t M, dnnl_dim_t N, dnnl_dim_t K,
                                                float alpha, const std::uint16_t* A, dnnl_dim_t lda,
                                                const std::uint16_t* B, dnnl_dim_t ldb, float beta, float* C,
                                                dnnl_dim_t ldc);

namespace peso::cpu {

namespace {

// Measured with 2 threads on the 2-core AMD EPYC (Zen 4) this was tuned on
// (OpenBLAS 0.3.21 OpenMP build, oneDNN 2.6.3; see bench/README.md):
// - a call on the whole pool: OpenBLAS wins below about 50^3 multiply-adds
//   (oneDNN's call overhead is ~0.3 us and it threads work that is too small),
//   oneDNN wins from 64^3 up, by 10-20% at the GPT-2 shapes and by 2x at
//   mid sizes such as 256x256x64, where OpenBLAS's threading is poor;
// - a single-threaded call: OpenBLAS wins up to about 96^3, oneDNN from
//   128^3 up (by 5-15%);
// - except that with b transposed (x @ W.t() with W stored (N, K), as
//   nn.Linear stores it) oneDNN slows down once K passes ~1000 unless the
//   output is large: with K = 1024..3072, OpenBLAS is 10-25% faster for
//   256 x 768, 256 x 3072 and 1024 x 768 outputs, oneDNN 5-10% faster for
//   1024 x 3072; at K = 768 they tie or oneDNN wins.
constexpr std::int64_t kOnednnMinWorkPool = std::int64_t{1} << 17;     // ~ 50^3
constexpr std::int64_t kOnednnMinWorkSingle = std::int64_t{1} << 20;   // ~ 100^3
constexpr std::int64_t kTransposedMaxK = 768;                          // above it, with a small output...
constexpr std::int64_t kTransposedMaxOutput = std::int64_t{1} << 20;   // ...of at most this many elements: OpenBLAS

GemmLibrary parse_library(std::string_view name) {
    if (name == "openblas") return GemmLibrary::openblas;
    if (name == "onednn") return GemmLibrary::onednn;
    throw ValueError(fmt::format("PESO_GEMM: unknown GEMM library '{}' (expected openblas or onednn)", name));
}

std::optional<GemmLibrary> read_forced_library() {
    const char* env = std::getenv("PESO_GEMM");
    if (env == nullptr || *env == '\0') return std::nullopt;
    return parse_library(env);
}

void check_blas_int(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t lda, std::int64_t ldb,
                    std::int64_t ldc) {
    for (const std::int64_t v : {m, n, k, lda, ldb, ldc})
        PESO_CHECK(v <= INT_MAX, ValueError,
                   "matmul: {}x{}x{} product (leading dims {}, {}, {}) exceeds OpenBLAS's 32-bit index range", m, n,
                   k, lda, ldb, ldc);
}

CBLAS_TRANSPOSE cblas_flag(bool transposed) { return transposed ? CblasTrans : CblasNoTrans; }

}  // namespace

std::string_view gemm_library_name(GemmLibrary lib) { return lib == GemmLibrary::openblas ? "openblas" : "onednn"; }

std::optional<GemmLibrary> forced_gemm_library() {
    static const std::optional<GemmLibrary> forced = read_forced_library();
    return forced;
}

GemmLibrary choose_gemm_library(std::int64_t m, std::int64_t n, std::int64_t k, bool b_transposed,
                                bool single_threaded) {
    if (const auto forced = forced_gemm_library()) return *forced;
    if (b_transposed && k > kTransposedMaxK && m * n <= kTransposedMaxOutput) return GemmLibrary::openblas;
    const std::int64_t work = m * n * k;
    return work >= (single_threaded ? kOnednnMinWorkSingle : kOnednnMinWorkPool) ? GemmLibrary::onednn
                                                                                  : GemmLibrary::openblas;
}

namespace {

void gemv(CBLAS_TRANSPOSE t, std::int64_t rows, std::int64_t cols, const float* a, std::int64_t lda, const float* x,
          std::int64_t incx, float* y, std::int64_t incy) {
    cblas_sgemv(CblasRowMajor, t, static_cast<int>(rows), static_cast<int>(cols), 1.0f, a, static_cast<int>(lda), x,
                static_cast<int>(incx), 0.0f, y, static_cast<int>(incy));
}

void gemv(CBLAS_TRANSPOSE t, std::int64_t rows, std::int64_t cols, const double* a, std::int64_t lda, const double* x,
          std::int64_t incx, double* y, std::int64_t incy) {
    cblas_dgemv(CblasRowMajor, t, static_cast<int>(rows), static_cast<int>(cols), 1.0, a, static_cast<int>(lda), x,
                static_cast<int>(incx), 0.0, y, static_cast<int>(incy));
}

// A product with one row (m = 1: a token's activations times a weight, as in
// generation) or one column (n = 1) as a matrix-vector product. GEMM
// libraries pack the whole matrix first, which for a vector costs more than
// the product itself (a profile of GPT-2 generation showed OpenBLAS's packing
// routine at 9x the time of its sgemm kernel).
template <typename T>
bool try_gemv(std::int64_t m, std::int64_t n, std::int64_t k, GemmOperand<T> a, GemmOperand<T> b, T* c,
              std::int64_t ldc) {
    // BLAS wants a row-major matrix's leading dimension to cover its columns.
    const std::int64_t b_cols = b.transposed ? k : n, a_cols = a.transposed ? m : k;
    if (m == 1 && k > 1 && b.ld >= b_cols) {
        check_blas_int(m, n, k, a.ld, b.ld, ldc);
        // c (1 x n) = a (1 x k) @ op(b): stored (k x n) use b^T, stored (n x k) use b.
        const std::int64_t incx = a.transposed ? a.ld : 1;
        if (b.transposed) gemv(CblasNoTrans, n, k, b.data, b.ld, a.data, incx, c, 1);
        else gemv(CblasTrans, k, n, b.data, b.ld, a.data, incx, c, 1);
        return true;
    }
    if (n == 1 && k > 1 && a.ld >= a_cols) {
        check_blas_int(m, n, k, a.ld, b.ld, ldc);
        // c (m x 1) = op(a) (m x k) @ b (k x 1).
        const std::int64_t incx = b.transposed ? 1 : b.ld;
        if (a.transposed) gemv(CblasTrans, k, m, a.data, a.ld, b.data, incx, c, ldc);
        else gemv(CblasNoTrans, m, k, a.data, a.ld, b.data, incx, c, ldc);
        return true;
    }
    return false;
}

}  // namespace

void gemm(GemmLibrary lib, std::int64_t m, std::int64_t n, std::int64_t k, GemmOperand<float> a,
          GemmOperand<float> b, float* c, std::int64_t ldc) {
    if (!forced_gemm_library() && try_gemv(m, n, k, a, b, c, ldc)) return;
    if (lib == GemmLibrary::onednn) {
        const dnnl_status_t status = dnnl_sgemm(a.transposed ? 'T' : 'N', b.transposed ? 'T' : 'N', m, n, k, 1.0f,
                                                a.data, a.ld, b.data, b.ld, 0.0f, c, ldc);
        PESO_CHECK(status == dnnl_success, Error, "matmul: dnnl_sgemm failed with status {} ({}x{}x{})",
                   static_cast<int>(status), m, n, k);
        return;
    }
    check_blas_int(m, n, k, a.ld, b.ld, ldc);
    cblas_sgemm(CblasRowMajor, cblas_flag(a.transposed), cblas_flag(b.transposed), static_cast<int>(m),
                static_cast<int>(n), static_cast<int>(k), 1.0f, a.data, static_cast<int>(a.ld), b.data,
                static_cast<int>(b.ld), 0.0f, c, static_cast<int>(ldc));
}

void gemm(std::int64_t m, std::int64_t n, std::int64_t k, GemmOperand<double> a, GemmOperand<double> b, double* c,
          std::int64_t ldc) {
    check_blas_int(m, n, k, a.ld, b.ld, ldc);
    if (try_gemv(m, n, k, a, b, c, ldc)) return;
    cblas_dgemm(CblasRowMajor, cblas_flag(a.transposed), cblas_flag(b.transposed), static_cast<int>(m),
                static_cast<int>(n), static_cast<int>(k), 1.0, a.data, static_cast<int>(a.ld), b.data,
                static_cast<int>(b.ld), 0.0, c, static_cast<int>(ldc));
}

namespace {

// A rows x cols operand widened to a packed float32 matrix (as stored: the
// transpose flag is kept).
std::unique_ptr<float[]> widened(GemmOperand<bfloat16> x, std::int64_t rows, std::int64_t cols) {
    const std::int64_t r = x.transposed ? cols : rows, c = x.transposed ? rows : cols;
    auto out = std::make_unique_for_overwrite<float[]>(static_cast<std::size_t>(r * c));
    for (std::int64_t i = 0; i < r; ++i) bf16::widen_to_f32(x.data + i * x.ld, out.get() + i * c, static_cast<std::size_t>(c));
    return out;
}

}  // namespace

void gemm(std::int64_t m, std::int64_t n, std::int64_t k, GemmOperand<bfloat16> a, GemmOperand<bfloat16> b, float* c,
          std::int64_t ldc) {
    const dnnl_status_t status = dnnl_gemm_bf16bf16f32(
        a.transposed ? 'T' : 'N', b.transposed ? 'T' : 'N', m, n, k, 1.0f, reinterpret_cast<const std::uint16_t*>(a.data),
        a.ld, reinterpret_cast<const std::uint16_t*>(b.data), b.ld, 0.0f, c, ldc);
    if (status == dnnl_success) return;
    PESO_CHECK(status == dnnl_unimplemented, Error, "matmul: dnnl_gemm_bf16bf16f32 failed with status {} ({}x{}x{})",
               static_cast<int>(status), m, n, k);
    const auto wa = widened(a, m, k), wb = widened(b, k, n);
    const GemmOperand<float> fa{wa.get(), a.transposed ? m : k, a.transposed};
    const GemmOperand<float> fb{wb.get(), b.transposed ? k : n, b.transposed};
    gemm(choose_gemm_library(m, n, k, b.transposed, true), m, n, k, fa, fb, c, ldc);
}

}  // namespace peso::cpu
