#pragma once
// One row-major GEMM interface over the two CPU BLAS libraries peso links,
// OpenBLAS and oneDNN, and the rule that picks the faster one for a shape
// (measured on the development machine; the figures are in bench/README.md).
// Both libraries are OpenMP builds: a call made inside an OpenMP parallel
// region runs on the calling thread, a call made outside uses the whole pool.
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/bfloat16.h"

namespace peso::cpu {

enum class GemmLibrary : std::uint8_t { openblas, onednn };

std::string_view gemm_library_name(GemmLibrary lib);

// The library PESO_GEMM=openblas|onednn forces, if set (read once, at the
// first GEMM; an unknown value throws ValueError).
std::optional<GemmLibrary> forced_gemm_library();

// The library for one float32 m x n x k product; `b_transposed` when b is
// stored n x k, `single_threaded` when the call runs on one thread of a loop
// that is parallel over a batch.
GemmLibrary choose_gemm_library(std::int64_t m, std::int64_t n, std::int64_t k, bool b_transposed,
                                bool single_threaded);

// One input matrix as BLAS takes it: row-major storage with leading dimension
// `ld`, used as stored or transposed.
template <typename T> struct GemmOperand {
    const T* data;
    std::int64_t ld;
    bool transposed;
};

// c (m x n, row-major, leading dimension ldc) = op(a) (m x k) @ op(b) (k x n).
void gemm(GemmLibrary lib, std::int64_t m, std::int64_t n, std::int64_t k, GemmOperand<float> a,
          GemmOperand<float> b, float* c, std::int64_t ldc);
// oneDNN has no double-precision GEMM, so float64 always goes to OpenBLAS.
void gemm(std::int64_t m, std::int64_t n, std::int64_t k, GemmOperand<double> a, GemmOperand<double> b, double* c,
          std::int64_t ldc);

// c (float32) = op(a) @ op(b) for bfloat16 a and b, accumulated in float32:
// oneDNN's bf16 GEMM (AVX-512 BF16 dot products where the CPU has them), or,
// where oneDNN refuses (a CPU without AVX-512), the float32 GEMM on widened
// copies, which gives the same products up to the order of the additions.
void gemm(std::int64_t m, std::int64_t n, std::int64_t k, GemmOperand<bfloat16> a, GemmOperand<bfloat16> b, float* c,
          std::int64_t ldc);

}  // namespace peso::cpu
