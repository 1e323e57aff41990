#include "backends/host_allocator.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <new>

#include "core/error.h"

namespace peso {

namespace {
constexpr std::size_t kAlignment = 64;
constexpr std::size_t kSmall = std::size_t{1} << 20;  // below: power-of-two classes
constexpr std::size_t kLargeGranule = std::size_t{1} << 16;
// Blocks from this size up ("huge": a GPT's logits and embedding gradient, at
// vocabulary x width) have a cache budget of their own. A cache only reuses a
// block of the same size, and a step's huge temporaries come in several sizes,
// so caching them all adds their sum to the peak memory (GPT-2 124M training:
// 3.35 GB against 2.79 GB with none cached). Caching none costs their page
// faults on every use instead: a (256, 50304) softmax ran 4x slower. The
// budget keeps the most recently returned few.
constexpr std::size_t kHugeFrom = std::size_t{32} << 20;
}  // namespace

HostAllocator::HostAllocator(std::size_t max_cached_bytes, std::size_t max_cached_huge_bytes)
    : max_cached_bytes_(max_cached_bytes), max_cached_huge_bytes_(max_cached_huge_bytes) {}

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
            if (size >= kHugeFrom) {
                cached_huge_bytes_ -= size;
                huge_order_.erase(std::find(huge_order_.begin(), huge_order_.end(), std::pair{p, size}));
            }
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
        const bool huge = size >= kHugeFrom;
        if (huge && size <= max_cached_huge_bytes_) evict_huge_for(size);
        if ((!huge || cached_huge_bytes_ + size <= max_cached_huge_bytes_) &&
            static_cast<std::size_t>(stats_.cached_bytes) + size <= max_cached_bytes_) {
            free_[size].push_back(p);
            stats_.cached_bytes += static_cast<std::int64_t>(size);
            if (huge) {
                cached_huge_bytes_ += size;
                huge_order_.emplace_back(p, size);
            }
            return;
        }
    }
    std::free(p);
}

void HostAllocator::evict_huge_for(std::size_t size) {
    // Oldest first, until `size` more fits the huge budget (or nothing is left).
    while (cached_huge_bytes_ + size > max_cached_huge_bytes_ && !huge_order_.empty()) {
        const auto [old, s] = huge_order_.front();
        huge_order_.pop_front();
        std::vector<void*>& blocks = free_[s];
        blocks.erase(std::find(blocks.begin(), blocks.end(), old));
        cached_huge_bytes_ -= s;
        stats_.cached_bytes -= static_cast<std::int64_t>(s);
        std::free(old);
    }
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
    huge_order_.clear();
    cached_huge_bytes_ = 0;
    stats_.cached_bytes = 0;
}

HostAllocator& host_allocator() {
    // Never destroyed: tensors held in static objects may outlive main().
    static HostAllocator* instance = new HostAllocator();
    return *instance;
}

}  // namespace peso
