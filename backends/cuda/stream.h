#pragma once
// The current stream: where the CUDA backend queues the kernels and copies of
// the calling host thread, one per (host thread, device), as in PyTorch. It
// starts as the device's default (legacy) stream; a StreamGuard switches it
// for a scope, as PyTorch's torch.cuda.stream does.
#include "backends/cuda/cuda_compat.h"

PESO_CUDA_NAMESPACE_BEGIN

// The device the calling thread has current (cudaGetDevice).
int current_device();

// Of `device`, or of the thread's current device.
cudaStream_t current_stream(int device);
cudaStream_t current_stream();
void set_current_stream(int device, cudaStream_t stream);
void set_current_stream(cudaStream_t stream);
// Waits until the current stream's work is done.
void synchronize_current_stream();

// Makes `stream` (a stream of `device`) current on that device for a scope.
class StreamGuard {
public:
    explicit StreamGuard(cudaStream_t stream) : StreamGuard(stream, current_device()) {}
    StreamGuard(cudaStream_t stream, int device) : device_(device), previous_(current_stream(device)) {
        set_current_stream(device, stream);
    }
    ~StreamGuard() { set_current_stream(device_, previous_); }
    StreamGuard(const StreamGuard&) = delete;
    StreamGuard& operator=(const StreamGuard&) = delete;

private:
    int device_;
    cudaStream_t previous_;
};

PESO_CUDA_NAMESPACE_END
