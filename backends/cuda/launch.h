#pragma once
// peso::cuda::launch(kernel, grid, block, dynamic_shared_bytes, stream, args...)
// launches a kernel: with <<<>>> under nvcc, on the emulator otherwise. A
// launch the runtime rejects (a block too large, too much shared memory, a bad
// stream) throws peso::DeviceError naming the kernel and the launch's source
// line. A kernel that faults while it runs (an illegal address, a trap) makes
// the device's error sticky, and on a GPU that surfaces at a later call — often
// another kernel's launch, which the message then says it may not be to blame
// for. With PESO_CUDA_SYNC=1 every launch waits for its kernel, so that the
// error names the kernel that faulted (slow: for finding faults). The
// emulator's own checks throw peso::cuda::emu::KernelError from launch() itself.
#include <cstddef>
#include <source_location>
#include <string>
#include <utility>

#include "backends/cuda/check.h"
#include "backends/cuda/cuda_compat.h"
#if PESO_CUDA_EMULATED
#include "tools/cuda_emu/launch_kernel.h"
#endif

PESO_CUDA_NAMESPACE_BEGIN

// A launch's grid size, and where the launch was written: the source location
// is captured as the caller's argument converts to GridSize.
struct GridSize {
    dim3 dims;
    std::source_location site;

    GridSize(dim3 d, std::source_location s = std::source_location::current()) : dims(d), site(s) {}
    GridSize(unsigned int x, std::source_location s = std::source_location::current()) : dims(x), site(s) {}
};

// Whether launch() waits for each kernel: PESO_CUDA_SYNC=1 at start-up, or set here.
bool sync_launches();
void set_sync_launches(bool on);

// Throws DeviceError for a launch that failed (`while_running`: found when
// launch() waited for the kernel), naming the kernel (`kernel_type` when the
// runtime has no name for it), where it was launched and its shape.
[[noreturn]] void throw_launch_error(cudaError_t error, bool while_running, const void* kernel,
                                     const char* kernel_type, const GridSize& grid, dim3 block);

// The compiler spells the kernel's type in here, for kernels the runtime cannot name.
template <class Kernel>
constexpr const char* kernel_signature() {
    return __PRETTY_FUNCTION__;
}

template <class... Params, class... Args>
void launch(void (*kernel)(Params...), GridSize grid, dim3 block, std::size_t dynamic_shared_bytes,
            cudaStream_t stream, Args&&... args) {
#if PESO_CUDA_EMULATED
    emu::LaunchInfo info;
    info.site = grid.site;
    info.grid = grid.dims;
    info.block = block;
    info.dynamic_shared_bytes = dynamic_shared_bytes;
    info.stream = stream;
    emu::launch_kernel(kernel, info, std::forward<Args>(args)...);
#else
    kernel<<<grid.dims, block, dynamic_shared_bytes, stream>>>(std::forward<Args>(args)...);
#endif
    using Kernel = void (*)(Params...);
    if (const cudaError_t error = cudaGetLastError(); error != cudaSuccess) [[unlikely]] {
        throw_launch_error(error, false, reinterpret_cast<const void*>(kernel), kernel_signature<Kernel>(), grid, block);
    }
    if (sync_launches()) [[unlikely]] {
        if (const cudaError_t error = cudaStreamSynchronize(stream); error != cudaSuccess) {
            throw_launch_error(error, true, reinterpret_cast<const void*>(kernel), kernel_signature<Kernel>(), grid,
                               block);
        }
    }
}

PESO_CUDA_NAMESPACE_END
