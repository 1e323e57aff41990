#include "backends/host_allocator.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <new>

#include <sys/mman.h>

#include "core/error.h"

namespace peso {

namespace {
constexpr std::size_t kAlignment = 64;
constexpr std::size_t kSmall = std::size_t{256} << 10;  // below: power-of-two classes
constexpr std::size_t kLargeGranule = std::size_t{1} << 16;
// Larger requests fail at once: rounding them up would wrap around.
constexpr std::size_t kMaxRequest = std::size_t{1} << 56;
// Blocks from this size up ("huge": a GPT's logits and embedding gradient, at
// vocabulary x width) have a cache budget of their own. A cache only reuses a
// block of the same size, and a step's huge temporaries come in several sizes,
// so caching them all adds their sum to the peak memory (GPT-2 124M training:
// 3.35 GB against 2.79 GB with none cached). Caching none costs their page
// faults on every use instead: a (256, 50304) softmax ran 4x slower. The
// budget keeps the most recently returned few.
constexpr std::size_t kHugeFrom = std::size_t{32} << 20;

// Blocks above kSmall are mapped and unmapped directly, so that a block the
// cache lets go of leaves the process's resident memory at once (malloc would
// keep it in its arena); from 2 MiB they ask for transparent huge pages, so
// that a new block costs few page faults.
bool is_large(std::size_t size) { return size > kSmall; }

void* system_allocate(std::size_t size) {
    if (!is_large(size)) return std::aligned_alloc(kAlignment, size);
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    if (size >= (std::size_t{2} << 20)) madvise(p, size, MADV_HUGEPAGE);
    return p;
}

void system_free(void* p, std::size_t size) {
    if (is_large(size)) munmap(p, size);
    else std::free(p);
}
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
    // An empty tensor gets no block: a 64-byte one would let a size computed
    // wrongly as 0 write into memory that looks valid (as the CUDA allocator).
    if (nbytes == 0) {
        std::lock_guard lock(mutex_);
        ++stats_.requests;
        return nullptr;
    }
    PESO_CHECK(nbytes <= kMaxRequest, ValueError, "allocate: {} bytes on cpu is more than any machine has", nbytes);
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
            if (is_large(size)) cached_large_bytes_ -= size;
            if (size >= kHugeFrom) {
                cached_huge_bytes_ -= size;
                huge_order_.erase(std::find(huge_order_.begin(), huge_order_.end(), std::pair{p, size}));
            }
            return p;
        }
        ++stats_.system_allocs;
        peak_live_bytes_ = std::max(peak_live_bytes_, static_cast<std::size_t>(stats_.live_bytes));
        if (is_large(size)) trim_to_peak();
    }
    void* p = system_allocate(size);
    if (p == nullptr) {
        std::lock_guard lock(mutex_);
        --stats_.live_blocks;
        stats_.live_bytes -= static_cast<std::int64_t>(size);
        throw Error(fmt::format("out of memory: failed to allocate {} bytes on cpu", size));
    }
    return p;
}

void HostAllocator::deallocate(void* p, std::size_t nbytes) {
    if (p == nullptr) return;  // a 0-byte request's
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
            if (is_large(size)) cached_large_bytes_ += size;
            if (huge) {
                cached_huge_bytes_ += size;
                huge_order_.emplace_back(p, size);
            }
            return;
        }
    }
    system_free(p, size);
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
        cached_large_bytes_ -= s;
        system_free(old, s);
    }
}

void HostAllocator::trim_to_peak() {
    // A new block that would make live + cached blocks exceed the most memory
    // ever live evicts cached large blocks, largest first: the cache then never
    // adds to the process's peak. A training step's largest live moment (a
    // GPT's optimizer state beside its gradients) thus finds the cache empty,
    // while ops far below that peak keep all their blocks cached.
    while (static_cast<std::size_t>(stats_.live_bytes) + cached_large_bytes_ > peak_live_bytes_ &&
           cached_large_bytes_ > 0) {
        auto largest = free_.end();
        for (auto it = free_.begin(); it != free_.end(); ++it)
            if (is_large(it->first) && !it->second.empty() && (largest == free_.end() || it->first > largest->first))
                largest = it;
        const std::size_t s = largest->first;
        void* old = largest->second.back();
        largest->second.pop_back();
        if (s >= kHugeFrom) {
            huge_order_.erase(std::find(huge_order_.begin(), huge_order_.end(), std::pair{old, s}));
            cached_huge_bytes_ -= s;
        }
        cached_large_bytes_ -= s;
        stats_.cached_bytes -= static_cast<std::int64_t>(s);
        system_free(old, s);
    }
}

AllocatorStats HostAllocator::stats() const {
    std::lock_guard lock(mutex_);

    return stats_;
}

void HostAllocator::empty_cache() {
    std::lock_guard lock(mutex_);
    for (auto& [size, blocks] : free_)
        for (void* p : blocks) system_free(p, size);
    free_.clear();
    huge_order_.clear();
    cached_huge_bytes_ = 0;
    cached_large_bytes_ = 0;
    stats_.cached_bytes = 0;
}

HostAllocator& host_allocator() {
    // Never destroyed: tensors held in static objects may outlive main().
    static HostAllocator* instance = new HostAllocator();
    return *instance;
}

}  // namespace peso
