// The CPU caching allocator: reuse, alignment, size classes, the cache cap,
// huge blocks with their own budget, trimming to the live peak, and empty_cache.
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

TEST_CASE("host allocator: above 256 KiB sizes round to 64 KiB, and different classes are not mixed") {
    CHECK(HostAllocator::round_size(1) == 64);
    CHECK(HostAllocator::round_size(65) == 128);
    CHECK(HostAllocator::round_size(256 << 10) == 256 << 10);
    CHECK(HostAllocator::round_size((256 << 10) + 1) == (320 << 10));
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
    const std::size_t bigger = std::size_t{96} << 20;  // with p2 cached: 160 MiB, over the 128 MiB peak
    void* b = a.allocate(bigger);
    CHECK(a.stats().cached_bytes == 0);  // so p2 went back to the system first
    a.deallocate(b, bigger);
    CHECK(a.stats().cached_bytes == static_cast<std::int64_t>(bigger));
    const std::size_t over = std::size_t{128} << 20;  // over the whole huge budget: never cached
    a.deallocate(a.allocate(over), over);
    CHECK(a.stats().cached_bytes == 0);  // allocating it (a new peak) evicted the 96 MiB block

    HostAllocator capped(8192);
    void* b1 = capped.allocate(8192);
    void* b2 = capped.allocate(8192);
    capped.deallocate(b1, 8192);
    capped.deallocate(b2, 8192);  // would exceed the 8 KiB cap: freed instead
    CHECK(capped.stats().cached_bytes == 8192);
}

TEST_CASE("host allocator: cached large blocks never push live + cached above the most ever live") {
    const std::size_t MiB = std::size_t{1} << 20;
    HostAllocator a;
    void* c = a.allocate(8 * MiB);
    void* d = a.allocate(8 * MiB);  // peak: 16 MiB live
    a.deallocate(c, 8 * MiB);
    a.deallocate(d, 8 * MiB);
    CHECK(a.stats().cached_bytes == static_cast<std::int64_t>(16 * MiB));
    void* e = a.allocate(4 * MiB);  // 4 live + 16 cached > 16: one 8 MiB block is unmapped
    CHECK(a.stats().cached_bytes == static_cast<std::int64_t>(8 * MiB));
    std::memset(e, 2, 4 * MiB);
    void* f = a.allocate(8 * MiB);  // served by the cached block: no system call, nothing evicted
    CHECK(a.stats().system_allocs == 3);
    CHECK(a.stats().cached_bytes == 0);
    a.deallocate(e, 4 * MiB);
    a.deallocate(f, 8 * MiB);
    void* small = a.allocate(1000);  // small blocks come from malloc and do not trim
    CHECK(a.stats().cached_bytes == static_cast<std::int64_t>(12 * MiB));
    a.deallocate(small, 1000);
}
