#pragma once
// Runs an emulated launch: validates its configuration as the CUDA runtime
// does (an invalid one sets the last error and runs nothing), then runs the
// grid's blocks one after another in the chosen order on the calling thread.
#include "tools/cuda_emu/launch_info.h"

namespace peso::cuda::emu {

using ThreadBody = void (*)(void* closure);

// `body(closure)` runs the kernel for the current thread (threadIdx & co.).
void run_grid(const LaunchInfo& launch, ThreadBody body, void* closure);

// Throws KernelError when argument `index` of a kernel is a non-null pointer
// outside every emulated allocation: a host pointer that would fault on a GPU.
void check_pointer_argument(const LaunchInfo& launch, int index, const void* pointer);

}  // namespace peso::cuda::emu
