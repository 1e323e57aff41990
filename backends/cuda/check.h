#pragma once
// PESO_CUDA_CHECK(cudaMemcpy(...)) turns a failed CUDA runtime call into a
// peso::DeviceError naming the call, the source line and CUDA's own error
// (its name and description). No fmt here: nvcc's front end rejects fmt's
// compile-time format strings.
#include <string>

#include "backends/cuda/cuda_compat.h"
#include "core/error.h"

PESO_CUDA_NAMESPACE_BEGIN

// Errors after which the device is unusable until the process exits: every
// later call that uses it fails with the same error, so the call reporting one
// is rarely the one that caused it (a kernel that faulted earlier, found at the
// next call that waited for it).
inline bool is_sticky_error(cudaError_t error) {
    switch (error) {
        case cudaErrorIllegalAddress:
        case cudaErrorLaunchTimeout:
        case cudaErrorAssert:
        case cudaErrorHardwareStackError:
        case cudaErrorIllegalInstruction:
        case cudaErrorMisalignedAddress:
        case cudaErrorInvalidAddressSpace:
        case cudaErrorInvalidPc:
        case cudaErrorLaunchFailure:
        case cudaErrorECCUncorrectable:
            return true;
        default:
            return false;
    }
}

// "cudaErrorIllegalAddress (an illegal memory access was encountered)", and for
// a sticky error where to look for its cause.
inline std::string describe_cuda_error(cudaError_t error) {
    std::string text = std::string(cudaGetErrorName(error)) + " (" + cudaGetErrorString(error) + ")";
    if (is_sticky_error(error)) {
        text +=
            "; this error is sticky: the device is unusable until the process exits, and the kernel that caused it "
            "may have been launched earlier; run with PESO_CUDA_SYNC=1 to synchronise after every launch and name "
            "the kernel that faulted";
    }
    return text;
}

// Also clears the calling thread's last error, which a failed call sets, so
// that the next check does not report this failure a second time.
[[noreturn]] inline void throw_cuda_error(cudaError_t error, const char* what, const char* file, unsigned line) {
    (void)cudaGetLastError();
    throw ::peso::DeviceError(std::string(what) + " failed at " + file + ":" + std::to_string(line) + ": " +
                              describe_cuda_error(error));
}

PESO_CUDA_NAMESPACE_END

#define PESO_CUDA_CHECK(expr)                                                               \
    do {                                                                                    \
        const cudaError_t peso_cuda_error_ = (expr);                                        \
        if (peso_cuda_error_ != cudaSuccess) [[unlikely]]                                   \
            ::peso::cuda::throw_cuda_error(peso_cuda_error_, #expr, __FILE__, __LINE__);    \
    } while (0)
