#pragma once
// The CUDA device's caching allocator, after PyTorch's CUDACachingAllocator:
// cudaMalloc is slow and synchronizes the device, so memory is taken from the
// device in segments and handed out as blocks that go back to a free list on
// release instead of to cudaFree.
//  - Requests up to 1 MiB come from 2 MiB segments (the small pool), larger
//    ones from segments of 20 MiB or of their own size rounded to 2 MiB (the
//    large pool). Sizes are rounded to 512 bytes.
//  - A free block larger than a request is split; the remainder stays free
//    (small pool: any remainder; large pool: above 1 MiB). Freed neighbours
//    in a segment merge again.
//  - Free lists are per stream: a block is reused only by work queued on the
//    stream it was allocated on, which runs after the block's previous uses
//    there, so no synchronization is needed. A block used on other streams too
//    must be told so (record_stream, as PyTorch's Tensor.record_stream): when
//    it is freed, an event is recorded on each of those streams, and the block
//    is reused only once they have all completed.
//  - Poisoning (always under the emulator, PESO_CUDA_POISON=1 on a GPU): a
//    block going back to its free list is first filled with 0xff bytes (NaN
//    as float, -1 as int) on its stream, after every use, so that a kernel
//    still reading a freed tensor reads garbage rather than the old values.
//  - When cudaMalloc runs out of memory, the cache is emptied and the call
//    retried; then OutOfMemoryError. Any other cudaMalloc error is a
//    DeviceError naming it.
//  - deallocate never throws (it runs in Storage's destructor): a failed
//    cudaFree is logged to stderr, counted, and the memory leaked.
// PESO_CUDA_ALLOC=direct turns caching off (one cudaMalloc per request, sized
// exactly): under the emulator and AddressSanitizer, an access past a tensor
// then hits the end of an allocation instead of a neighbouring block.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "backends/allocator.h"
#include "backends/cuda/cuda_compat.h"
#include "core/error.h"

PESO_CUDA_NAMESPACE_BEGIN

// The device's memory is exhausted (cudaMalloc said cudaErrorMemoryAllocation,
// even after the cache was emptied), as torch.cuda.OutOfMemoryError.
class OutOfMemoryError : public ::peso::Error {
public:
    using ::peso::Error::Error;
};

struct CachingAllocatorStats {
    AllocatorStats base;
    std::int64_t reserved_bytes = 0;  // held in segments, live or cached
    std::int64_t segments = 0;
    std::int64_t peak_live_bytes = 0;
    std::int64_t splits = 0;          // blocks split to serve a smaller request
    std::int64_t merges = 0;          // freed blocks merged with a free neighbour
    std::int64_t cache_flushes = 0;   // cudaMalloc failures that emptied the cache
    std::int64_t dropped_errors = 0;  // failures in deallocate, logged to stderr (it never throws)
};

class CachingAllocator final : public Allocator {
public:
    static constexpr std::size_t kMinBlock = 512;
    static constexpr std::size_t kSmallRequest = std::size_t{1} << 20;
    static constexpr std::size_t kSmallSegment = std::size_t{2} << 20;
    static constexpr std::size_t kLargeSegment = std::size_t{20} << 20;
    static constexpr std::size_t kMinLargeAlloc = std::size_t{10} << 20;
    static constexpr std::size_t kSegmentRound = std::size_t{2} << 20;

    explicit CachingAllocator(int device, bool caching = true);
    ~CachingAllocator() override;
    CachingAllocator(const CachingAllocator&) = delete;
    CachingAllocator& operator=(const CachingAllocator&) = delete;

    // On the calling thread's current stream of the allocator's device (backends/cuda/stream.h).
    void* allocate(std::size_t nbytes) override;
    void deallocate(void* p, std::size_t nbytes) noexcept override;
    // The block at `p` (a pointer allocate returned) is also used by work on
    // `stream`: when it is freed, it is not reused until that work is done.
    void record_stream(void* p, cudaStream_t stream);
    // Blocks freed and waiting for other streams' events.
    std::size_t blocks_awaiting_events() const;
    bool poisons() const { return poison_; }
    static constexpr int kPoisonByte = 0xff;
    AllocatorStats stats() const override;
    CachingAllocatorStats detailed_stats() const;
    // Returns every segment with no live block to cudaFree.
    void empty_cache() override;
    bool caching() const { return caching_; }

    static std::size_t round_size(std::size_t nbytes);

private:
    struct Block {
        cudaStream_t stream;
        std::size_t size;
        char* ptr;
        bool small;
        bool allocated = false;  // also while freed and waiting for events
        std::vector<cudaStream_t> stream_uses{};  // streams besides `stream` (record_stream)
        int pending_events = 0;
        Block* prev = nullptr;  // neighbours in the same segment
        Block* next = nullptr;
    };
    struct BySize {
        bool operator()(const Block* a, const Block* b) const;
    };
    using Pool = std::set<Block*, BySize>;

    Pool& pool(bool small) { return small ? small_free_ : large_free_; }
    Block* take_free_block(cudaStream_t stream, std::size_t size, bool small);
    Block* new_segment(cudaStream_t stream, std::size_t size, bool small);
    void* system_malloc(std::size_t size);
    void release_free_segments();
    void free_block(Block* block);
    void record_free_events(Block* block);
    void process_events();
    void synchronize_and_free_events();
    void release_block(Block* block);
    void poison(const Block& block);
    void check_not_in_use(Block* block, std::size_t size, cudaStream_t stream);
    void report_dropped_error(const std::string& what) noexcept;

    int device_;
    bool caching_;
    bool poison_;
    mutable std::mutex mutex_;
    Pool small_free_;
    Pool large_free_;
    std::unordered_map<void*, Block*> live_;
    std::unordered_map<void*, std::size_t> direct_;  // caching off: pointer -> size
    std::deque<std::pair<cudaEvent_t, Block*>> events_;  // in the order they were recorded
    CachingAllocatorStats stats_;
};

PESO_CUDA_NAMESPACE_END
