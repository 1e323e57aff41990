#pragma once
// State of the emulated runtime that launches consult: the per-host-thread
// last error, the streams that exist, per-kernel attributes.
#include <cstddef>

#include "tools/cuda_emu/stream_scheduler.h"
#include "tools/cuda_emu/toolkit_headers.h"

namespace peso::cuda::emu {

// Records `error` as the calling host thread's last error (for
// cudaGetLastError) unless it is cudaSuccess; returns it.
cudaError_t record_error(cudaError_t error);

// The default stream (0, cudaStreamLegacy, cudaStreamPerThread) or one made by
// cudaStreamCreate and not destroyed.
bool is_valid_stream(cudaStream_t stream);
// The scheduler's name for a valid stream (async_streams.h): the legacy default
// stream for 0 and cudaStreamLegacy, one stream per host thread for
// cudaStreamPerThread, and whether a created one is non-blocking.
StreamKey stream_key(cudaStream_t stream);

// cudaFuncAttributeMaxDynamicSharedMemorySize as set for `kernel` (48 KiB until set).
std::size_t max_dynamic_shared_bytes(const void* kernel);

}  // namespace peso::cuda::emu
