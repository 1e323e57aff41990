#include "backends/cuda/caching_allocator.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <tuple>

#include "backends/cuda/check.h"
#include "backends/cuda/device_guard.h"
#include "backends/cuda/stream.h"
#if PESO_CUDA_EMULATED
#include "tools/cuda_emu/async_streams.h"
#endif

PESO_CUDA_NAMESPACE_BEGIN

namespace {

constexpr std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

std::string mib(std::int64_t bytes) { return std::to_string(static_cast<double>(bytes) / (1 << 20)) + " MiB"; }

bool poison_enabled() {
    if (PESO_CUDA_EMULATED) return true;
    const char* env = std::getenv("PESO_CUDA_POISON");
    return env != nullptr && std::string(env) == "1";
}

}  // namespace

bool CachingAllocator::BySize::operator()(const Block* a, const Block* b) const {
    const auto sa = reinterpret_cast<std::uintptr_t>(a->stream), sb = reinterpret_cast<std::uintptr_t>(b->stream);
    return std::tie(sa, a->size, a->ptr) < std::tie(sb, b->size, b->ptr);
}

CachingAllocator::CachingAllocator(int device, bool caching)
    : device_(device), caching_(caching), poison_(poison_enabled()) {}

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
    const cudaStream_t stream = current_stream(device_);
    process_events();
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
    check_not_in_use(block, size, stream);
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
#if PESO_CUDA_EMULATED
    emu::note_block_freed(block->ptr);
#endif
    try {
        if (!block->stream_uses.empty()) return record_free_events(block);
        release_block(block);
    } catch (const std::exception& e) {  // e.g. a DeviceGuard on a failed device
        report_dropped_error(e.what());
    }
}

void CachingAllocator::record_stream(void* p, cudaStream_t stream) {
    std::lock_guard lock(mutex_);
    if (!caching_) return;  // cudaFree waits for the whole device anyway
    const auto it = live_.find(p);
    PESO_CHECK(it != live_.end(), ValueError,
               "cuda allocator on device {}: record_stream of {}, which is not the start of a live block", device_, p);
    Block* block = it->second;
    if (stream == block->stream) return;
    for (cudaStream_t s : block->stream_uses)
        if (s == stream) return;
    block->stream_uses.push_back(stream);
}

// Called with a block that is freed but used by other streams: the block waits
// for an event on each, and goes back to its free list once all have completed.
void CachingAllocator::record_free_events(Block* block) {
    DeviceGuard guard(device_);
    for (cudaStream_t s : block->stream_uses) {
        cudaEvent_t event = nullptr;
        cudaError_t err = cudaEventCreateWithFlags(&event, cudaEventDisableTiming);
        if (err == cudaSuccess) err = cudaEventRecord(event, s);
        if (err != cudaSuccess) {
            // The device failed (a sticky error): nothing will run on it again.
            (void)cudaGetLastError();
            if (event != nullptr) (void)cudaEventDestroy(event);
            report_dropped_error("recording a stream's use of a freed block failed: " + describe_cuda_error(err));
            continue;
        }
        ++block->pending_events;
        events_.emplace_back(event, block);
    }
    block->stream_uses.clear();
    if (block->pending_events == 0) release_block(block);
}

// Blocks whose events have all completed go back to their free lists; the
// first event not yet complete stops the walk, as later ones were recorded later.
void CachingAllocator::process_events() {
    while (!events_.empty()) {
        const auto [event, block] = events_.front();
        const cudaError_t err = cudaEventQuery(event);  // may throw a queued kernel's emulator error: nothing changed yet
        if (err == cudaErrorNotReady) break;
        if (err != cudaSuccess) {
            (void)cudaGetLastError();
            report_dropped_error("querying a freed block's event failed: " + describe_cuda_error(err));
        }
        (void)cudaEventDestroy(event);
        events_.pop_front();
        if (--block->pending_events == 0) release_block(block);
    }
}

void CachingAllocator::synchronize_and_free_events() {
    DeviceGuard guard(device_);
    // Every event is waited for and released even if a wait throws (the
    // emulator reports a failed kernel at the wait that ran it); the first
    // exception goes on after the walk.
    std::exception_ptr first_error;
    while (!events_.empty()) {
        const auto [event, block] = events_.front();
        events_.pop_front();
        try {
            if (const cudaError_t err = cudaEventSynchronize(event); err != cudaSuccess) {
                (void)cudaGetLastError();
                report_dropped_error("waiting for a freed block's event failed: " + describe_cuda_error(err));
            }
        } catch (...) {
            if (!first_error) first_error = std::current_exception();
        }
        (void)cudaEventDestroy(event);
        if (--block->pending_events == 0) release_block(block);
    }
    if (first_error) std::rethrow_exception(first_error);
}

std::size_t CachingAllocator::blocks_awaiting_events() const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& [event, block] : events_) n += block->pending_events > 0 ? 1 : 0;
    return n;
}

void CachingAllocator::release_block(Block* block) {
    if (poison_) poison(*block);
    free_block(block);
}

// Queued on the block's stream, after every use there (and, through the
// events, after its uses on other streams).
void CachingAllocator::poison(const Block& block) {
    DeviceGuard guard(device_);
    if (const cudaError_t err = cudaMemsetAsync(block.ptr, kPoisonByte, block.size, block.stream); err != cudaSuccess) {
        (void)cudaGetLastError();
        report_dropped_error("poisoning a freed block failed: " + describe_cuda_error(err));
    }
}

// Under the emulator's asynchronous stream mode: no work still queued on
// another stream may use the block it hands out (a block freed without
// record_stream while another stream used it). Undoes the allocation and
// throws when some does.
void CachingAllocator::check_not_in_use(Block* block, std::size_t size, cudaStream_t stream) {
#if PESO_CUDA_EMULATED
    try {
        emu::note_block_allocated(block->ptr, size, stream);
    } catch (...) {
        free_block(block);
        throw;
    }
#else
    (void)block;
    (void)size;
    (void)stream;
#endif
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
    synchronize_and_free_events();
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
