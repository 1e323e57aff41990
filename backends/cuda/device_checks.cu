// Checks made on the device (Backend::record_check): index values and class
// targets are checked by a kernel queued with the op rather than read on the
// host before it, so that the CPU can queue a whole training step ahead of the
// GPU. The first failure lands in a record in pinned host memory, which the
// kernel writes directly and the host reads after its next wait for the device
// (a copy to the host) without another transfer.
#include <atomic>
#include <cstdint>

#include "backends/cuda/check.h"
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/device_guard.h"
#include "backends/cuda/kernel_layout.cuh"
#include "backends/cuda/launch.h"
#include "backends/cuda/stream.h"

PESO_CUDA_NAMESPACE_BEGIN

namespace {

__global__ void record_check_kernel(const bool* bad, const std::int64_t* value, std::int64_t n,
                                    CudaBackend::CheckRecord* record, int id) {
    const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
    for (std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += stride) {
        if (!bad[e]) continue;
        // The first failing element of the first failing check wins; the others change nothing.
        if (atomicCAS(&record->id, 0, id) == 0) record->value = static_cast<long long>(value[e]);
        return;
    }
}

}  // namespace

void CudaBackend::PinnedFree::operator()(CheckRecord* p) const noexcept { (void)cudaFreeHost(p); }

CudaBackend::CheckRecord* CudaBackend::check_record() {
    std::lock_guard lock(check_mutex_);
    if (!check_record_) {
        void* p = nullptr;
        PESO_CUDA_CHECK(cudaHostAlloc(&p, sizeof(CheckRecord), cudaHostAllocMapped));
        check_record_.reset(new (p) CheckRecord{});
    }
    return check_record_.get();
}

void CudaBackend::record_check(const TensorArg& bad, const TensorArg& value, std::int32_t id) {
    const DeviceGuard guard(device_);
    const std::int64_t n = bad.numel();
    if (n == 0) return;
    const unsigned threads = threads_for(n);
    launch(record_check_kernel, grid_for(n, threads), threads, 0, current_stream(), bad.ptr<const bool>(),
           value.ptr<const std::int64_t>(), n, check_record(), static_cast<int>(id));
}

Backend::FailedCheck CudaBackend::take_failed_check() {
    std::lock_guard lock(check_mutex_);
    if (!check_record_) return {};
    // Read after the host's wait for the device; the exchange makes the next failure start afresh.
    const int id = std::atomic_ref<int>(check_record_->id).exchange(0);
    return {id, id == 0 ? 0 : static_cast<std::int64_t>(check_record_->value)};
}

PESO_CUDA_NAMESPACE_END
