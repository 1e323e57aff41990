#pragma once
// Runs an emulated launch: validates its configuration as the CUDA runtime
// does (an invalid one sets the last error and runs nothing), then runs the
// grid's blocks one after another in the chosen order, on the calling thread
// at once or, in the asynchronous stream mode (async_streams.h), on the thread
// that waits for the launch's stream.
#include <memory>
#include <span>

#include "tools/cuda_emu/launch_info.h"

namespace peso::cuda::emu {

using ThreadBody = void (*)(void* closure);

// `body(closure.get())` runs the kernel for the current thread (threadIdx &
// co.); `closure` lives until the launch has run. `pointers` are the kernel's
// pointer arguments (null for the others): the memory the launch uses, as far
// as the emulator can know.
void run_grid(const LaunchInfo& launch, ThreadBody body, std::shared_ptr<void> closure,
              std::span<const void* const> pointers);

// Throws KernelError when argument `index` of a kernel is a non-null pointer
// outside every emulated allocation: a host pointer that would fault on a GPU.
void check_pointer_argument(const LaunchInfo& launch, int index, const void* pointer);

}  // namespace peso::cuda::emu
