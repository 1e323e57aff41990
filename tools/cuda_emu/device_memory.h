#pragma once
// The emulated device's memory: host memory handed out by cudaMalloc and
// friends, remembered so that copies and kernel arguments can be checked
// against the allocations they must lie in.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace peso::cuda::emu {

enum class MemoryKind : std::uint8_t {
    device,           // cudaMalloc, cudaMallocAsync
    pinned_host,      // cudaMallocHost, cudaHostAlloc
    registered_host,  // cudaHostRegister: the caller's memory, not ours to free
};

struct Allocation {
    std::uintptr_t begin = 0;
    std::size_t size = 0;
    MemoryKind kind = MemoryKind::device;
    bool contains(const void* p, std::size_t n) const;
};

// What fresh device memory is filled with (NaN as float, -1 as int).
inline constexpr unsigned char uninitialized_device_byte = 0xff;

// Device allocations are aligned like cudaMalloc's (256 bytes) and sized
// exactly, so that AddressSanitizer sees any access past their end, and
// filled with uninitialized_device_byte.
void* allocate(std::size_t size, MemoryKind kind);
// False when `p` is not the start of a live allocation of that kind.
bool release(void* p, MemoryKind kind);
void register_host_range(void* p, std::size_t size);
bool unregister_host_range(void* p);

// The allocation holding `p`; a pointer one past the end counts as held, as
// kernels receive end pointers.
std::optional<Allocation> find_allocation(const void* p);

std::size_t bytes_allocated_on_device();

// Every live allocation, sorted by address, for the race detector; the
// generation changes whenever an allocation is made or released.
std::vector<Allocation> all_allocations();
std::uint64_t allocations_generation();

}  // namespace peso::cuda::emu
