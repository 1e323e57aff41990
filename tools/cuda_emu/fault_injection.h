#pragma once
// Test hooks that make the emulated runtime fail as a GPU's does, so that the
// backend's error paths can be tested without one:
//  - an allocation failure (cudaErrorMemoryAllocation, or any error) from the
//    next cudaMalloc calls;
//  - a kernel that faults asynchronously: the launch itself succeeds (its
//    cudaGetLastError says nothing, as on a GPU, where the kernel has not yet
//    run), and from the next runtime call on the device is in a sticky error
//    state (cudaErrorIllegalAddress by default): every call that uses the
//    device returns the error, cudaGetLastError returns it without clearing
//    it, and no kernel runs, until clear_faults() (a real process must exit);
//  - a driver that does not work: cudaGetDeviceCount fails with the error.
#include "tools/cuda_emu/toolkit_headers.h"

namespace peso::cuda::emu {

// The next `count` cudaMalloc calls fail with `error` (and set it as the last error).
void fail_next_mallocs(cudaError_t error, int count = 1);

// The next kernel launch runs, then leaves the device in the sticky `error`,
// which the first runtime call after the launch reports.
void fault_next_launch(cudaError_t error = cudaErrorIllegalAddress);

// cudaGetDeviceCount fails with `error` until called again with cudaSuccess.
void fail_device_count(cudaError_t error);

// The device's sticky error, cudaSuccess when none (a fault the last launch
// raised is not seen until a runtime call other than cudaGetLastError).
cudaError_t sticky_error();

// Ends every injected failure and the sticky state.
void clear_faults();

// ---- for the emulated runtime ------------------------------------------------------

// cudaSuccess, or the error the next cudaMalloc is to fail with.
cudaError_t take_malloc_failure();
// The launch now ending leaves the device faulted if a fault was injected for it.
void end_launch();
// A faulted launch's error becomes sticky; then the sticky error, if any.
cudaError_t device_state();
cudaError_t device_count_failure();

}  // namespace peso::cuda::emu
