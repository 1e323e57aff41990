// The CPU caching allocator: reuse, alignment, size classes, the cache cap,
// huge blocks that bypass the cache, and empty_cache.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>

#include "backends/host_allocator.h"

using namespace peso;

TEST_CASE("host allocator reuses a returned block of the same size class") {
    HostAllocator a;
    void* p = a.allocate(1000);
    CHECK(reinterpret_cast<std::uintptr_t>(p) % 64 == 0);
    std::memset(p, 1, 1000);  // the whole request is usable (ASan checks it)
    a.deallocate(p, 1000);
    CHECK(a.stats().cached_bytes == 1024);  // 1000 rounds up to its power-of-two class
    void* q = a.allocate(1024);
    CHECK(q == p);
    CHECK(a.stats().system_allocs == 1);
    CHECK(a.stats().live_blocks == 1);
    a.deallocate(q, 1024);
    a.empty_cache();
    CHECK(a.stats().cached_bytes == 0);
    CHECK(a.stats().live_blocks == 0);
}

TEST_CASE("host allocator: above 1 MiB sizes round to 64 KiB, and different classes are not mixed") {
    CHECK(HostAllocator::round_size(1) == 64);
    CHECK(HostAllocator::round_size(65) == 128);
    CHECK(HostAllocator::round_size((1 << 20) + 1) == (1 << 20) + (1 << 16));
    HostAllocator a;
    void* p = a.allocate(4096);
    a.deallocate(p, 4096);
    void* q = a.allocate(8192);
    CHECK(a.stats().system_allocs == 2);
    a.deallocate(q, 8192);
}

TEST_CASE("host allocator: huge blocks go back to the system, and the cap bounds the cache") {
    HostAllocator a;
    const std::size_t huge = std::size_t{64} << 20;
    void* p = a.allocate(huge);
    a.deallocate(p, huge);
    CHECK(a.stats().cached_bytes == 0);
    CHECK(a.stats().live_bytes == 0);

    HostAllocator capped(8192);
    void* b1 = capped.allocate(8192);
    void* b2 = capped.allocate(8192);
    capped.deallocate(b1, 8192);
    capped.deallocate(b2, 8192);  // would exceed the 8 KiB cap: freed instead
    CHECK(capped.stats().cached_bytes == 8192);
}
