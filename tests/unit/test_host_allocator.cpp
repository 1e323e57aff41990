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

TEST_CASE("host allocator: huge blocks have their own budget, oldest evicted first; the cap bounds the cache") {
    const std::size_t huge = std::size_t{64} << 20;
    HostAllocator a(std::size_t{2} << 30, std::size_t{100} << 20);
    void* p1 = a.allocate(huge);
    void* p2 = a.allocate(huge);
    a.deallocate(p1, huge);
    CHECK(a.stats().cached_bytes == static_cast<std::int64_t>(huge));
    a.deallocate(p2, huge);  // 128 MiB would exceed the 100 MiB budget: p1 goes back to the system
    CHECK(a.stats().cached_bytes == static_cast<std::int64_t>(huge));
    CHECK(a.stats().live_bytes == 0);
    CHECK(a.allocate(huge) == p2);
    CHECK(a.stats().cached_bytes == 0);
    a.deallocate(p2, huge);
    const std::size_t bigger = std::size_t{128} << 20;  // over the whole budget: never cached
    a.deallocate(a.allocate(bigger), bigger);
    CHECK(a.stats().cached_bytes == static_cast<std::int64_t>(huge));  // p2 stays cached

    HostAllocator capped(8192);
    void* b1 = capped.allocate(8192);
    void* b2 = capped.allocate(8192);
    capped.deallocate(b1, 8192);
    capped.deallocate(b2, 8192);  // would exceed the 8 KiB cap: freed instead
    CHECK(capped.stats().cached_bytes == 8192);
}
