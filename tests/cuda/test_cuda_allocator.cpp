// The CUDA backend's caching allocator (backends/cuda/caching_allocator.h) on
// the emulated device: blocks come back from the cache, large cached blocks
// are split and merged again, free lists are per stream, statistics add up,
// and empty_cache returns what no tensor holds.
#include <doctest/doctest.h>

#include "backends/cuda/caching_allocator.h"
#include "backends/cuda/check.h"
#include "backends/cuda/cuda_backend.h"
#include "tools/cuda_emu/device_memory.h"
#include "backends/cuda/stream.h"
#include "peso.h"

using namespace peso;
using peso::cuda::CachingAllocator;

namespace {
constexpr std::size_t MiB = std::size_t{1} << 20;
}

TEST_CASE("cuda allocator: a freed block is reused for the next request of its size class") {
    CachingAllocator alloc(0);
    void* a = alloc.allocate(1000);
    CHECK(alloc.stats().system_allocs == 1);
    CHECK(alloc.stats().live_bytes == 1024);  // rounded to 512 bytes
    alloc.deallocate(a, 1000);
    void* b = alloc.allocate(700);  // same 1024-byte block
    CHECK(b == a);
    CHECK(alloc.stats().system_allocs == 1);
    CHECK(alloc.stats().requests == 2);
    alloc.deallocate(b, 700);
    CHECK(alloc.allocate(0) == nullptr);
    CHECK(CachingAllocator::round_size(1) == 512);
    CHECK(CachingAllocator::round_size(513) == 1024);
}

TEST_CASE("cuda allocator: small requests share a 2 MiB segment; blocks split and merge") {
    CachingAllocator alloc(0);
    const std::size_t device_before = cuda::emu::bytes_allocated_on_device();
    void* p[8];
    for (auto& x : p) x = alloc.allocate(4096);
    auto s = alloc.detailed_stats();
    CHECK(s.segments == 1);
    CHECK(s.reserved_bytes == static_cast<std::int64_t>(2 * MiB));
    CHECK(s.base.system_allocs == 1);
    CHECK(s.base.live_blocks == 8);
    CHECK(s.base.live_bytes == 8 * 4096);
    CHECK(s.base.cached_bytes == static_cast<std::int64_t>(2 * MiB) - 8 * 4096);
    CHECK(s.splits == 8);
    CHECK(cuda::emu::bytes_allocated_on_device() - device_before == 2 * MiB);
    // Consecutive blocks of one segment.
    for (int i = 1; i < 8; ++i) CHECK(static_cast<char*>(p[i]) - static_cast<char*>(p[i - 1]) == 4096);
    for (auto x : p) alloc.deallocate(x, 4096);
    s = alloc.detailed_stats();
    CHECK(s.base.live_blocks == 0);
    CHECK(s.base.cached_bytes == static_cast<std::int64_t>(2 * MiB));
    CHECK(s.merges >= 7);
    // Merged back into one free block: a request of the whole segment fits without a new one.
    void* whole = alloc.allocate(MiB);
    CHECK(whole == p[0]);
    CHECK(alloc.detailed_stats().segments == 1);
    alloc.deallocate(whole, MiB);
    alloc.empty_cache();
    s = alloc.detailed_stats();
    CHECK(s.segments == 0);
    CHECK(s.reserved_bytes == 0);
    CHECK(s.base.cached_bytes == 0);
    CHECK(cuda::emu::bytes_allocated_on_device() == device_before);
}

TEST_CASE("cuda allocator: large requests, segment sizes and empty_cache with live blocks") {
    CachingAllocator alloc(0);
    void* a = alloc.allocate(3 * MiB);  // from a 20 MiB segment, split
    auto s = alloc.detailed_stats();
    CHECK(s.reserved_bytes == static_cast<std::int64_t>(20 * MiB));
    void* b = alloc.allocate(5 * MiB);  // the rest of the same segment
    CHECK(alloc.detailed_stats().segments == 1);
    CHECK(static_cast<char*>(b) - static_cast<char*>(a) == static_cast<std::ptrdiff_t>(3 * MiB));
    void* c = alloc.allocate(30 * MiB);  // its own segment, rounded to 2 MiB
    s = alloc.detailed_stats();
    CHECK(s.segments == 2);
    CHECK(s.reserved_bytes == static_cast<std::int64_t>(50 * MiB));
    alloc.deallocate(c, 30 * MiB);
    alloc.deallocate(a, 3 * MiB);
    alloc.empty_cache();  // the 30 MiB segment goes; the 20 MiB one still holds b
    s = alloc.detailed_stats();
    CHECK(s.segments == 1);
    CHECK(s.reserved_bytes == static_cast<std::int64_t>(20 * MiB));
    CHECK(s.base.live_bytes == static_cast<std::int64_t>(5 * MiB));
    CHECK(s.peak_live_bytes == static_cast<std::int64_t>(38 * MiB));
    alloc.deallocate(b, 5 * MiB);
    alloc.empty_cache();
    CHECK(alloc.detailed_stats().reserved_bytes == 0);
}

TEST_CASE("cuda allocator: free lists are per stream") {
    CachingAllocator alloc(0);
    cudaStream_t stream = nullptr;
    PESO_CUDA_CHECK(cudaStreamCreate(&stream));
    void* a = alloc.allocate(MiB / 2);
    alloc.deallocate(a, MiB / 2);
    {
        cuda::StreamGuard guard(stream);
        CHECK(cuda::current_stream() == stream);
        void* b = alloc.allocate(MiB / 2);  // a's block belongs to the default stream
        CHECK(b != a);
        CHECK(alloc.detailed_stats().segments == 2);
        alloc.deallocate(b, MiB / 2);
        CHECK(alloc.allocate(MiB / 2) == b);  // its own stream's block comes back
        alloc.deallocate(b, MiB / 2);
    }
    CHECK(cuda::current_stream() == nullptr);
    CHECK(alloc.allocate(MiB / 2) == a);
    alloc.deallocate(a, MiB / 2);
    alloc.empty_cache();
    PESO_CUDA_CHECK(cudaStreamDestroy(stream));
}

TEST_CASE("cuda allocator: caching off allocates exactly, for out-of-bounds checks") {
    CachingAllocator alloc(0, /*caching=*/false);
    const std::size_t before = cuda::emu::bytes_allocated_on_device();
    void* a = alloc.allocate(1000);
    CHECK(cuda::emu::bytes_allocated_on_device() - before == 1000);
    CHECK(alloc.stats().live_bytes == 1000);
    alloc.deallocate(a, 1000);
    CHECK(cuda::emu::bytes_allocated_on_device() == before);
    CHECK(alloc.stats().system_allocs == 1);
}

TEST_CASE("cuda allocator: tensors on cuda allocate through the backend's allocator") {
    Allocator& alloc = backend_for(Device::cuda()).allocator();
    alloc.empty_cache();
    const AllocatorStats before = alloc.stats();
    for (int step = 0; step < 5; ++step) {
        const Tensor x = ones({64, 64}, TensorOptions(Device::cuda()));
        const Tensor y = matmul(x, x);
        CHECK(y.to(Device::cpu()).to_vector<float>()[0] == 64.0f);
    }
    const AllocatorStats after = alloc.stats();
    CHECK(after.requests - before.requests >= 10);
    if (cuda::cuda_backend().caching_allocator().caching())
        CHECK(after.system_allocs - before.system_allocs == 1);  // one small segment serves every step
    else  // PESO_CUDA_ALLOC=direct
        CHECK(after.system_allocs - before.system_allocs == after.requests - before.requests);
    CHECK(after.live_blocks == before.live_blocks);
    alloc.empty_cache();
    CHECK(alloc.stats().cached_bytes == 0);
}
