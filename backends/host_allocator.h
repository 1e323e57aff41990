#pragma once
// The CPU device's caching allocator: 64-byte aligned blocks kept in size-class
// free lists after release, so that a training loop, which asks for the same
// sizes every step, stops calling the system allocator after its first step.
#include <cstddef>
#include <deque>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "backends/allocator.h"

namespace peso {

class HostAllocator final : public Allocator {
public:
    // Blocks beyond this many cached bytes go back to the system instead;
    // blocks of 32 MiB and up have their own budget, oldest evicted first.
    explicit HostAllocator(std::size_t max_cached_bytes = std::size_t{2} << 30,
                           std::size_t max_cached_huge_bytes = std::size_t{256} << 20);
    ~HostAllocator() override;
    void* allocate(std::size_t nbytes) override;
    void deallocate(void* p, std::size_t nbytes) override;
    AllocatorStats stats() const override;
    void empty_cache() override;

    // The size class a request is served from.
    static std::size_t round_size(std::size_t nbytes);

private:
    void evict_huge_for(std::size_t size);  // with mutex_ held
    void trim_to_peak();                    // with mutex_ held

    mutable std::mutex mutex_;
    std::unordered_map<std::size_t, std::vector<void*>> free_;
    std::size_t max_cached_bytes_;
    std::size_t max_cached_huge_bytes_;
    std::size_t cached_huge_bytes_ = 0;
    std::size_t cached_large_bytes_ = 0;   // cached blocks above 256 KiB (mapped on their own)
    std::size_t peak_live_bytes_ = 0;      // the most bytes ever live at once
    std::deque<std::pair<void*, std::size_t>> huge_order_;  // cached huge blocks and sizes, oldest first
    AllocatorStats stats_;
};

HostAllocator& host_allocator();

}  // namespace peso
