#pragma once
// The current stream: where the CUDA backend queues the kernels and copies of
// the calling host thread. It starts as the default (legacy) stream; a
// StreamGuard switches it for a scope, as PyTorch's torch.cuda.stream does.
#include "backends/cuda/cuda_compat.h"

PESO_CUDA_NAMESPACE_BEGIN

cudaStream_t current_stream();
void set_current_stream(cudaStream_t stream);
// Waits until the current stream's work is done.
void synchronize_current_stream();

class StreamGuard {
public:
    explicit StreamGuard(cudaStream_t stream) : previous_(current_stream()) { set_current_stream(stream); }
    ~StreamGuard() { set_current_stream(previous_); }
    StreamGuard(const StreamGuard&) = delete;
    StreamGuard& operator=(const StreamGuard&) = delete;

private:
    cudaStream_t previous_;
};

PESO_CUDA_NAMESPACE_END
