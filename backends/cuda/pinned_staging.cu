#include "backends/cuda/pinned_staging.h"

#include <cstring>

#include "backends/cuda/check.h"
#include "backends/cuda/device_guard.h"

PESO_CUDA_NAMESPACE_BEGIN

namespace {

std::size_t buffer_size(std::size_t nbytes) {
    std::size_t size = PinnedStaging::kMinBuffer;
    while (size < nbytes) size *= 2;
    return size;
}

}  // namespace

PinnedStaging::~PinnedStaging() {
    // At exit: the buffers go back only once their copies are done (cudaFreeHost waits).
    for (Buffer& b : buffers_) {
        if (b.done != nullptr) (void)cudaEventDestroy(b.done);
        (void)cudaFreeHost(b.host);
    }
}

bool PinnedStaging::idle(const Buffer& b) const {
    const cudaError_t state = cudaEventQuery(b.done);
    if (state == cudaErrorNotReady) return false;
    PESO_CUDA_CHECK(state);
    return true;
}

PinnedStaging::Buffer& PinnedStaging::take(std::size_t nbytes) {
    Buffer* best = nullptr;
    for (Buffer& b : buffers_) {
        if (b.size >= nbytes && (best == nullptr || b.size < best->size) && idle(b)) best = &b;
    }
    if (best != nullptr) return *best;
    Buffer fresh;
    fresh.size = buffer_size(nbytes);
    PESO_CUDA_CHECK(cudaMallocHost(&fresh.host, fresh.size));
    if (const cudaError_t err = cudaEventCreateWithFlags(&fresh.done, cudaEventDisableTiming); err != cudaSuccess) {
        (void)cudaFreeHost(fresh.host);
        PESO_CUDA_CHECK(err);
    }
    buffers_.push_back(fresh);
    return buffers_.back();
}

void PinnedStaging::copy_to_device(void* dst, const void* src, std::size_t nbytes, cudaStream_t stream) {
    const DeviceGuard guard(device_);
    if (nbytes > kMaxStaged) {
        // Staged by CUDA, which may wait for the stream; waiting makes that certain.
        PESO_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyHostToDevice, stream));
        PESO_CUDA_CHECK(cudaStreamSynchronize(stream));
        return;
    }
    const std::lock_guard lock(mutex_);
    Buffer& b = take(nbytes);
    std::memcpy(b.host, src, nbytes);
    PESO_CUDA_CHECK(cudaMemcpyAsync(dst, b.host, nbytes, cudaMemcpyHostToDevice, stream));
    PESO_CUDA_CHECK(cudaEventRecord(b.done, stream));
}

std::size_t PinnedStaging::buffers() const {
    const std::lock_guard lock(mutex_);
    return buffers_.size();
}

PESO_CUDA_NAMESPACE_END
