#pragma once
// Host-to-device copies from pageable memory, through pinned staging buffers.
// cudaMemcpyAsync from pageable memory may wait for the stream before it
// stages the source itself (a hidden host synchronisation); from a pinned
// buffer it is queued and returns at once. The caller's source is copied into
// a buffer first, so that it may be freed or changed as soon as the call
// returns; the buffer is reused only once the event recorded after its copy
// has completed (until then the device may still read it).
#include <cstddef>
#include <mutex>
#include <vector>

#include "backends/cuda/cuda_compat.h"

PESO_CUDA_NAMESPACE_BEGIN

class PinnedStaging {
public:
    // Larger copies are not staged: they wait for the stream instead.
    static constexpr std::size_t kMaxStaged = std::size_t{64} << 20;
    static constexpr std::size_t kMinBuffer = std::size_t{64} << 10;

    explicit PinnedStaging(int device) : device_(device) {}
    ~PinnedStaging();
    PinnedStaging(const PinnedStaging&) = delete;
    PinnedStaging& operator=(const PinnedStaging&) = delete;

    // Copies `nbytes` from host memory `src` to device memory `dst`, queued on `stream`.
    void copy_to_device(void* dst, const void* src, std::size_t nbytes, cudaStream_t stream);
    // Buffers allocated so far (for tests).
    std::size_t buffers() const;

private:
    struct Buffer {
        void* host = nullptr;
        std::size_t size = 0;
        cudaEvent_t done = nullptr;  // recorded after the buffer's last copy
    };
    Buffer& take(std::size_t nbytes);
    bool idle(const Buffer& b) const;

    int device_;
    mutable std::mutex mutex_;
    std::vector<Buffer> buffers_;
};

PESO_CUDA_NAMESPACE_END
