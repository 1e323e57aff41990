#pragma once
#include <cstddef>
#include <cstdint>

namespace peso {

struct AllocatorStats {
    std::int64_t live_blocks = 0;     // blocks handed out and not yet returned
    std::int64_t live_bytes = 0;
    std::int64_t cached_bytes = 0;    // returned blocks kept for reuse
    std::int64_t system_allocs = 0;   // calls that reached the system allocator
    std::int64_t requests = 0;        // all allocate() calls
};

// Device memory for one device type. Implementations must be thread-safe.
class Allocator {
public:
    virtual ~Allocator() = default;
    virtual void* allocate(std::size_t nbytes) = 0;
    virtual void deallocate(void* p, std::size_t nbytes) = 0;
    virtual AllocatorStats stats() const = 0;
    // Releases cached blocks back to the system.
    virtual void empty_cache() = 0;
};

}  // namespace peso
