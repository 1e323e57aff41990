#pragma once
// The part of cuBLAS the CUDA backend uses, for the emulator: the same names,
// enum values and signatures as <cublas_v2.h>, implemented with the CPU BLAS
// (OpenBLAS) on emulated device memory. Like the runtime API
// (runtime_names.h), the functions link as peso_emu_cublas*, so that a
// program may hold both this and the real libcublas. Include
// backends/cuda/cublas_compat.h rather than this file.
#if defined(__CUDACC__)
#error "tools/cuda_emu is the host compiler's stand-in for CUDA; nvcc builds use the real cuBLAS"
#endif

#include "tools/cuda_emu/toolkit_headers.h"

#define cublasCreate peso_emu_cublasCreate
#define cublasDestroy peso_emu_cublasDestroy
#define cublasSetStream peso_emu_cublasSetStream
#define cublasSetMathMode peso_emu_cublasSetMathMode
#define cublasSetWorkspace peso_emu_cublasSetWorkspace
#define cublasGetStatusString peso_emu_cublasGetStatusString
#define cublasSgemmStridedBatched peso_emu_cublasSgemmStridedBatched
#define cublasDgemmStridedBatched peso_emu_cublasDgemmStridedBatched

typedef struct peso_emu_cublasContext* cublasHandle_t;

typedef enum {
    CUBLAS_STATUS_SUCCESS = 0,
    CUBLAS_STATUS_NOT_INITIALIZED = 1,
    CUBLAS_STATUS_ALLOC_FAILED = 3,
    CUBLAS_STATUS_INVALID_VALUE = 7,
    CUBLAS_STATUS_NOT_SUPPORTED = 15,
} cublasStatus_t;

typedef enum { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1, CUBLAS_OP_C = 2 } cublasOperation_t;

typedef enum { CUBLAS_DEFAULT_MATH = 0, CUBLAS_PEDANTIC_MATH = 2, CUBLAS_TF32_TENSOR_OP_MATH = 3 } cublasMath_t;

cublasStatus_t cublasCreate(cublasHandle_t* handle);
cublasStatus_t cublasDestroy(cublasHandle_t handle);
cublasStatus_t cublasSetStream(cublasHandle_t handle, cudaStream_t stream);
// Remembered (the CPU BLAS needs none); device memory, 256-byte aligned, or INVALID_VALUE.
cublasStatus_t cublasSetWorkspace(cublasHandle_t handle, void* workspace, size_t workspaceSizeInBytes);
// Accepted and remembered; the CPU BLAS computes float32 in full precision either way.
cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode);
const char* cublasGetStatusString(cublasStatus_t status);

// Column-major C[i] = alpha * op(A[i]) op(B[i]) + beta * C[i] for i < batchCount,
// with cuBLAS's argument checks (INVALID_VALUE for a bad dimension or leading
// dimension, or a matrix outside emulated device memory).
cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                                         int m, int n, int k, const float* alpha, const float* A, int lda,
                                         long long int strideA, const float* B, int ldb, long long int strideB,
                                         const float* beta, float* C, int ldc, long long int strideC, int batchCount);
cublasStatus_t cublasDgemmStridedBatched(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                                         int m, int n, int k, const double* alpha, const double* A, int lda,
                                         long long int strideA, const double* B, int ldb, long long int strideB,
                                         const double* beta, double* C, int ldc, long long int strideC, int batchCount);
