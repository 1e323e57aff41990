#pragma once
// The entry point of nvcc's CUDA backend that backends/registry.cpp, a plain
// C++ source, registers when peso is built with PESO_WITH_CUDA. (The emulated
// build of the same sources registers itself, at a higher priority, from the
// end of backends/cuda/cuda_backend.cu.)
namespace peso {
class Backend;
namespace cuda::gpu {
// The backend of CUDA device `index`; throws DeviceError when there is none.
Backend& device_backend(int index);
}  // namespace cuda::gpu
}  // namespace peso
