#include "backends/cuda/caching_allocator.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <tuple>

#include "backends/cuda/check.h"
#include "backends/cuda/device_guard.h"
#include "backends/cuda/stream.h"

PESO_CUDA_NAMESPACE_BEGIN

namespace {

constexpr std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

std::string mib(std::int64_t bytes) { return std::to_string(static_cast<double>(bytes) / (1 << 20)) + " MiB"; }

}  // namespace

bool CachingAllocator::BySize::operator()(const Block* a, const Block* b) const {
    const auto sa = reinterpret_cast<std::uintptr_t>(a->stream), sb = reinterpret_cast<std::uintptr_t>(b->stream);
    return std::tie(sa, a->size, a->ptr) < std::tie(sb, b->size, b->ptr);
}

CachingAllocator::CachingAllocator(int device, bool caching) : device_(device), caching_(caching) {}

CachingAllocator::~CachingAllocator() {
    // Live blocks may belong to tensors that outlive the backend at exit; only the
    // cache goes back.
    try {
        empty_cache();
    } catch (...) {
    }
}

std::size_t CachingAllocator::round_size(std::size_t nbytes) {
    return nbytes < kMinBlock ? kMinBlock : round_up(nbytes, kMinBlock);
}

void* CachingAllocator::system_malloc(std::size_t size) {
    DeviceGuard guard(device_);
    void* p = nullptr;
    cudaError_t err = cudaMalloc(&p, size);
    if (err == cudaErrorMemoryAllocation) {
        (void)cudaGetLastError();
        ++stats_.cache_flushes;
        release_free_segments();
        err = cudaMalloc(&p, size);
    }
    if (err != cudaSuccess) {
        (void)cudaGetLastError();
        const std::string context = " on device " + std::to_string(device_) + ": tried to allocate " +
                                    mib(static_cast<std::int64_t>(size)) + " (" + mib(stats_.base.live_bytes) +
                                    " live, " + mib(stats_.reserved_bytes) + " reserved by peso): ";
        // Only cudaErrorMemoryAllocation means the memory ran out; any other
        // error (a sticky one left by a kernel that faulted, a lost device) is
        // reported as itself.
        if (err == cudaErrorMemoryAllocation) {
            throw OutOfMemoryError("CUDA out of memory" + context + describe_cuda_error(err));
        }
        throw DeviceError("cudaMalloc failed" + context + describe_cuda_error(err));
    }
    ++stats_.base.system_allocs;
    return p;
}

CachingAllocator::Block* CachingAllocator::take_free_block(cudaStream_t stream, std::size_t size, bool small) {
    Pool& free = pool(small);
    Block key{stream, size, nullptr, small};
    const auto it = free.lower_bound(&key);
    if (it == free.end() || (*it)->stream != stream) return nullptr;
    Block* block = *it;
    free.erase(it);
    return block;
}

CachingAllocator::Block* CachingAllocator::new_segment(cudaStream_t stream, std::size_t size, bool small) {
    const std::size_t segment =
        small ? kSmallSegment : (size < kMinLargeAlloc ? kLargeSegment : round_up(size, kSegmentRound));
    char* p = static_cast<char*>(system_malloc(segment));
    stats_.reserved_bytes += static_cast<std::int64_t>(segment);
    stats_.base.cached_bytes += static_cast<std::int64_t>(segment);
    ++stats_.segments;
    return new Block{stream, segment, p, small};
}

void* CachingAllocator::allocate(std::size_t nbytes) {
    if (nbytes == 0) return nullptr;
    std::lock_guard lock(mutex_);
    ++stats_.base.requests;
    if (!caching_) {
        void* p = system_malloc(nbytes);
        direct_[p] = nbytes;
        ++stats_.base.live_blocks;
        stats_.base.live_bytes += static_cast<std::int64_t>(nbytes);
        stats_.reserved_bytes += static_cast<std::int64_t>(nbytes);
        stats_.peak_live_bytes = std::max(stats_.peak_live_bytes, stats_.base.live_bytes);
        return p;
    }
    const std::size_t size = round_size(nbytes);
    const bool small = size <= kSmallRequest;
    const cudaStream_t stream = current_stream();
    Block* block = take_free_block(stream, size, small);
    if (block == nullptr) block = new_segment(stream, size, small);
    const std::size_t remaining = block->size - size;
    if (remaining >= (small ? kMinBlock : kSmallRequest + 1)) {
        // The front part serves the request; the rest stays free.
        Block* rest = new Block{stream, remaining, block->ptr + size, small};
        rest->prev = block;
        rest->next = block->next;
        if (block->next != nullptr) block->next->prev = rest;
        block->next = rest;
        block->size = size;
        pool(small).insert(rest);
        ++stats_.splits;
    }
    block->allocated = true;
    live_[block->ptr] = block;
    ++stats_.base.live_blocks;
    stats_.base.live_bytes += static_cast<std::int64_t>(block->size);
    stats_.base.cached_bytes -= static_cast<std::int64_t>(block->size);
    stats_.peak_live_bytes = std::max(stats_.peak_live_bytes, stats_.base.live_bytes);
    return block->ptr;
}

void CachingAllocator::deallocate(void* p, std::size_t /*nbytes*/) noexcept {
    if (p == nullptr) return;
    std::lock_guard lock(mutex_);
    if (!caching_) {
        const auto it = direct_.find(p);
        if (it == direct_.end()) {
            report_dropped_error("freeing a pointer it did not allocate");
            return;
        }
        --stats_.base.live_blocks;
        stats_.base.live_bytes -= static_cast<std::int64_t>(it->second);
        stats_.reserved_bytes -= static_cast<std::int64_t>(it->second);
        direct_.erase(it);
        DeviceGuard guard(device_);
        // A failure here (the device faulted earlier) leaks the memory; the
        // error reaches the user at the next call that can throw.
        if (const cudaError_t err = cudaFree(p); err != cudaSuccess) {
            (void)cudaGetLastError();
            report_dropped_error("cudaFree failed: " + describe_cuda_error(err));
        }
        return;
    }
    const auto it = live_.find(p);
    if (it == live_.end()) {
        report_dropped_error("freeing a pointer it did not allocate");
        return;
    }
    Block* block = it->second;
    live_.erase(it);
    --stats_.base.live_blocks;
    stats_.base.live_bytes -= static_cast<std::int64_t>(block->size);
    stats_.base.cached_bytes += static_cast<std::int64_t>(block->size);
    free_block(block);
}

void CachingAllocator::report_dropped_error(const std::string& what) noexcept {
    ++stats_.dropped_errors;
    std::fprintf(stderr, "peso: cuda allocator on device %d: %s (deallocation does not throw; continuing)\n", device_,
                 what.c_str());
}

void CachingAllocator::free_block(Block* block) {
    block->allocated = false;
    Pool& free = pool(block->small);
    // Absorb free neighbours, so that the segment can serve large requests again.
    for (Block* n : {block->prev, block->next}) {
        if (n == nullptr || n->allocated) continue;
        free.erase(n);
        if (n == block->prev) {
            block->ptr = n->ptr;
            block->prev = n->prev;
            if (n->prev != nullptr) n->prev->next = block;
        } else {
            block->next = n->next;
            if (n->next != nullptr) n->next->prev = block;
        }
        block->size += n->size;
        delete n;
        ++stats_.merges;
    }
    free.insert(block);
}

void CachingAllocator::release_free_segments() {
    DeviceGuard guard(device_);
    for (Pool* free : {&small_free_, &large_free_}) {
        for (auto it = free->begin(); it != free->end();) {
            Block* b = *it;
            if (b->prev != nullptr || b->next != nullptr) {  // part of a segment still in use
                ++it;
                continue;
            }
            PESO_CUDA_CHECK(cudaFree(b->ptr));
            stats_.reserved_bytes -= static_cast<std::int64_t>(b->size);
            stats_.base.cached_bytes -= static_cast<std::int64_t>(b->size);
            --stats_.segments;
            it = free->erase(it);
            delete b;
        }
    }
}

void CachingAllocator::empty_cache() {
    std::lock_guard lock(mutex_);
    release_free_segments();
}

AllocatorStats CachingAllocator::stats() const {
    std::lock_guard lock(mutex_);
    return stats_.base;
}

CachingAllocatorStats CachingAllocator::detailed_stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

PESO_CUDA_NAMESPACE_END
