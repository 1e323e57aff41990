#pragma once
// peso::cuda::launch(kernel, grid, block, dynamic_shared_bytes, stream, args...)
// launches a kernel: with <<<>>> under nvcc, on the emulator otherwise. A
// launch the runtime rejects (a block too large, too much shared memory, a bad
// stream) throws peso::DeviceError naming the launch's source line; errors a
// kernel makes while it runs surface at the next synchronizing call on a GPU,
// and as peso::cuda::emu::KernelError from launch() itself under the emulator.
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
    if (const cudaError_t error = cudaGetLastError(); error != cudaSuccess) [[unlikely]] {
        throw_cuda_error(error, "kernel launch", grid.site.file_name(), grid.site.line());
    }
}

PESO_CUDA_NAMESPACE_END
