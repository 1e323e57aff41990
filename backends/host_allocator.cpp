#include "backends/host_allocator.h"

#include <bit>
#include <cstdlib>
#include <new>

#include "core/error.h"

namespace peso {

namespace {
constexpr std::size_t kAlignment = 64;
constexpr std::size_t kSmall = std::size_t{1} << 20;  // below: power-of-two classes
constexpr std::size_t kLargeGranule = std::size_t{1} << 16;
// Blocks from this size up are not cached: a cache only reuses a block of the
// same size, and the few huge temporaries of a step (a GPT's logits and
// embedding gradient, at vocabulary x width) come in sizes that rarely repeat
// while they are cached, so caching them adds their sum to the peak memory.
// Returned, they go back to the system at once (glibc serves them with mmap),
// and a new one costs its page faults: well under 1% of the step that uses it.
constexpr std::size_t kUncachedFrom = std::size_t{32} << 20;
}  // namespace

HostAllocator::HostAllocator(std::size_t max_cached_bytes) : max_cached_bytes_(max_cached_bytes) {}

HostAllocator::~HostAllocator() { empty_cache(); }

std::size_t HostAllocator::round_size(std::size_t nbytes) {
    if (nbytes <= kAlignment) return kAlignment;
    if (nbytes <= kSmall) return std::bit_ceil(nbytes);
    return (nbytes + kLargeGranule - 1) / kLargeGranule * kLargeGranule;
}

void* HostAllocator::allocate(std::size_t nbytes) {
    const std::size_t size = round_size(nbytes);
    {
        std::lock_guard lock(mutex_);
        ++stats_.requests;
        ++stats_.live_blocks;
        stats_.live_bytes += static_cast<std::int64_t>(size);
        auto it = free_.find(size);
        if (it != free_.end() && !it->second.empty()) {
            void* p = it->second.back();
            it->second.pop_back();
            stats_.cached_bytes -= static_cast<std::int64_t>(size);
            return p;
        }
        ++stats_.system_allocs;
    }
    void* p = std::aligned_alloc(kAlignment, size);
    if (p == nullptr) {
        std::lock_guard lock(mutex_);
        --stats_.live_blocks;
        stats_.live_bytes -= static_cast<std::int64_t>(size);
        throw Error(fmt::format("out of memory: failed to allocate {} bytes on cpu", size));
    }
    return p;
}

void HostAllocator::deallocate(void* p, std::size_t nbytes) {
    if (p == nullptr) return;
    const std::size_t size = round_size(nbytes);
    {
        std::lock_guard lock(mutex_);
        --stats_.live_blocks;
        stats_.live_bytes -= static_cast<std::int64_t>(size);
        if (size < kUncachedFrom && static_cast<std::size_t>(stats_.cached_bytes) + size <= max_cached_bytes_) {
            free_[size].push_back(p);
            stats_.cached_bytes += static_cast<std::int64_t>(size);
            return;
        }
    }
    std::free(p);
}

AllocatorStats HostAllocator::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

void HostAllocator::empty_cache() {
    std::lock_guard lock(mutex_);
    for (auto& [size, blocks] : free_)
        for (void* p : blocks) std::free(p);
    free_.clear();
    stats_.cached_bytes = 0;
}

HostAllocator& host_allocator() {
    // Never destroyed: tensors held in static objects may outlive main().
    static HostAllocator* instance = new HostAllocator();
    return *instance;
}

}  // namespace peso
