#pragma once
// PESO_CUDA_CHECK(cudaMemcpy(...)) turns a failed CUDA runtime call into a
// peso::DeviceError naming the call, the source line and CUDA's own error.
// No fmt here: nvcc's front end rejects fmt's compile-time format strings.
#include <string>

#include "backends/cuda/cuda_compat.h"
#include "core/error.h"

PESO_CUDA_NAMESPACE_BEGIN

// Also clears the calling thread's last error, which a failed call sets, so
// that the next check does not report this failure a second time.
[[noreturn]] inline void throw_cuda_error(cudaError_t error, const char* what, const char* file, unsigned line) {
    (void)cudaGetLastError();
    throw ::peso::DeviceError(std::string(what) + " failed at " + file + ":" + std::to_string(line) + ": " +
                              cudaGetErrorName(error) + " (" + cudaGetErrorString(error) + ")");
}

PESO_CUDA_NAMESPACE_END

#define PESO_CUDA_CHECK(expr)                                                               \
    do {                                                                                    \
        const cudaError_t peso_cuda_error_ = (expr);                                        \
        if (peso_cuda_error_ != cudaSuccess) [[unlikely]]                                   \
            ::peso::cuda::throw_cuda_error(peso_cuda_error_, #expr, __FILE__, __LINE__);    \
    } while (0)
