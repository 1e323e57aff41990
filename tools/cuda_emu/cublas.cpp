#include "tools/cuda_emu/cublas.h"

#include <cblas.h>
#include <fmt/format.h>

#include <algorithm>

#include "tools/cuda_emu/device_memory.h"
#include "tools/cuda_emu/fault_injection.h"
#include "tools/cuda_emu/runtime_state.h"
#include "tools/cuda_emu/async_streams.h"
#include "tools/cuda_emu/stream_scheduler.h"

struct peso_emu_cublasContext {
    cudaStream_t stream = nullptr;
    cublasMath_t math = CUBLAS_DEFAULT_MATH;
    void* workspace = nullptr;
    std::size_t workspace_bytes = 0;
};

namespace {

// The bytes a column-major operand spans across the batch, for the check
// that it lies in device memory: the last element of the last matrix.
template <class T>
bool in_device_memory(const T* p, int rows, int cols, int ld, long long stride, int batch) {
    if (rows == 0 || cols == 0 || batch == 0) return true;
    const long long first = std::min(0LL, stride * (batch - 1));
    const long long last = std::max(0LL, stride * (batch - 1)) + static_cast<long long>(cols - 1) * ld + rows;
    const auto alloc = peso::cuda::emu::find_allocation(p + first);
    return alloc && alloc->kind == peso::cuda::emu::MemoryKind::device &&
           alloc->contains(p + first, static_cast<std::size_t>(last - first) * sizeof(T));
}

CBLAS_TRANSPOSE to_cblas(cublasOperation_t op) { return op == CUBLAS_OP_N ? CblasNoTrans : CblasTrans; }

template <class T, class Gemm>
cublasStatus_t gemm_strided_batched(cublasHandle_t handle, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                                    int k, const T* alpha, const T* A, int lda, long long sa, const T* B, int ldb,
                                    long long sb, const T* beta, T* C, int ldc, long long sc, int batch, Gemm gemm) {
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (!peso::cuda::emu::is_valid_stream(handle->stream)) return CUBLAS_STATUS_INVALID_VALUE;
    const int a_rows = ta == CUBLAS_OP_N ? m : k, a_cols = ta == CUBLAS_OP_N ? k : m;
    const int b_rows = tb == CUBLAS_OP_N ? k : n, b_cols = tb == CUBLAS_OP_N ? n : k;
    if (m < 0 || n < 0 || k < 0 || batch < 0 || lda < std::max(1, a_rows) || ldb < std::max(1, b_rows) ||
        ldc < std::max(1, m) || alpha == nullptr || beta == nullptr)
        return CUBLAS_STATUS_INVALID_VALUE;
    if (!in_device_memory(A, a_rows, a_cols, lda, sa, batch) || !in_device_memory(B, b_rows, b_cols, ldb, sb, batch) ||
        !in_device_memory(C, m, n, ldc, sc, batch))
        return CUBLAS_STATUS_INVALID_VALUE;
    if (m == 0 || n == 0) return CUBLAS_STATUS_SUCCESS;
    // Queued on the handle's stream like a kernel; alpha and beta are host
    // scalars (CUBLAS_POINTER_MODE_HOST), read now.
    namespace emu = peso::cuda::emu;
    emu::WorkItem work;
    work.run = [=, alpha = *alpha, beta = *beta] {
        if (emu::device_state() != cudaSuccess) return;  // a faulted device runs nothing more
        for (int i = 0; i < batch; ++i)
            gemm(CblasColMajor, to_cblas(ta), to_cblas(tb), m, n, k, alpha, A + sa * i, lda, B + sb * i, ldb, beta,
                 C + sc * i, ldc);
    };
    if (emu::async_mode()) {
        work.ranges = {emu::range_of(A), emu::range_of(B), emu::range_of(C)};
        work.describe = [=] { return fmt::format("cuBLAS gemm (m {}, n {}, k {}, batch {})", m, n, k, batch); };
    }
    emu::submit(emu::stream_key(handle->stream), std::move(work));
    return CUBLAS_STATUS_SUCCESS;
}

}  // namespace

cublasStatus_t cublasCreate(cublasHandle_t* handle) {
    if (handle == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
    *handle = new peso_emu_cublasContext();
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy(cublasHandle_t handle) {
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    delete handle;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream(cublasHandle_t handle, cudaStream_t stream) {
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (!peso::cuda::emu::is_valid_stream(stream)) return CUBLAS_STATUS_INVALID_VALUE;
    handle->stream = stream;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetWorkspace(cublasHandle_t handle, void* workspace, size_t workspaceSizeInBytes) {
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (workspaceSizeInBytes > 0) {
        // cuBLAS wants device memory, 256-byte aligned.
        const auto alloc = peso::cuda::emu::find_allocation(workspace);
        if (!alloc || alloc->kind != peso::cuda::emu::MemoryKind::device ||
            !alloc->contains(workspace, workspaceSizeInBytes) || reinterpret_cast<std::uintptr_t>(workspace) % 256 != 0)
            return CUBLAS_STATUS_INVALID_VALUE;
    }
    handle->workspace = workspace;
    handle->workspace_bytes = workspaceSizeInBytes;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
    if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
    handle->math = mode;
    return CUBLAS_STATUS_SUCCESS;
}

const char* cublasGetStatusString(cublasStatus_t status) {
    switch (status) {
        case CUBLAS_STATUS_SUCCESS: return "the operation completed successfully";
        case CUBLAS_STATUS_NOT_INITIALIZED: return "the library was not initialized";
        case CUBLAS_STATUS_ALLOC_FAILED: return "the resource allocation failed";
        case CUBLAS_STATUS_INVALID_VALUE: return "an invalid numeric value was used as an argument";
        case CUBLAS_STATUS_NOT_SUPPORTED: return "the functionality requested is not supported";
    }
    return "unknown cuBLAS status";
}

cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                                         int m, int n, int k, const float* alpha, const float* A, int lda,
                                         long long int strideA, const float* B, int ldb, long long int strideB,
                                         const float* beta, float* C, int ldc, long long int strideC, int batchCount) {
    return gemm_strided_batched(handle, transa, transb, m, n, k, alpha, A, lda, strideA, B, ldb, strideB, beta, C, ldc,
                                strideC, batchCount, cblas_sgemm);
}

cublasStatus_t cublasDgemmStridedBatched(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                                         int m, int n, int k, const double* alpha, const double* A, int lda,
                                         long long int strideA, const double* B, int ldb, long long int strideB,
                                         const double* beta, double* C, int ldc, long long int strideC,
                                         int batchCount) {
    return gemm_strided_batched(handle, transa, transb, m, n, k, alpha, A, lda, strideA, B, ldb, strideB, beta, C, ldc,
                                strideC, batchCount, cblas_dgemm);
}
