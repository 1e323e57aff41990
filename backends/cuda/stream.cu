#include "backends/cuda/stream.h"

#include "backends/cuda/check.h"

PESO_CUDA_NAMESPACE_BEGIN

namespace {

constexpr int kMaxDevices = 64;  // as cuda_backend()

// Per host thread, per device: a stream belongs to one device, so a stream
// made current for cuda:0 must not be used for cuda:1's work.
thread_local cudaStream_t current[kMaxDevices] = {};

int checked(int device) {
    PESO_CHECK(device >= 0 && device < kMaxDevices, DeviceError, "cuda: device {} out of range for streams", device);
    return device;
}

}  // namespace

int current_device() {
    int device = 0;
    PESO_CUDA_CHECK(cudaGetDevice(&device));
    return device;
}

cudaStream_t current_stream(int device) { return current[checked(device)]; }
cudaStream_t current_stream() { return current_stream(current_device()); }
void set_current_stream(int device, cudaStream_t stream) { current[checked(device)] = stream; }
void set_current_stream(cudaStream_t stream) { set_current_stream(current_device(), stream); }
void synchronize_current_stream() { PESO_CUDA_CHECK(cudaStreamSynchronize(current_stream())); }

PESO_CUDA_NAMESPACE_END
