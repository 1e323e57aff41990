#include "tools/cuda_emu/device_memory.h"

#include <cstring>
#include <map>
#include <mutex>
#include <new>

namespace peso::cuda::emu {
namespace {

constexpr std::align_val_t allocation_alignment{256};

struct Registry {
    std::mutex mutex;
    std::map<std::uintptr_t, Allocation> by_begin;
    std::size_t device_bytes = 0;
    std::uint64_t generation = 0;
};

Registry& registry() {
    static Registry instance;
    return instance;
}

std::uintptr_t address(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

void insert(const void* p, std::size_t size, MemoryKind kind) {
    Registry& r = registry();
    const std::lock_guard lock(r.mutex);
    r.by_begin[address(p)] = Allocation{address(p), size, kind};
    ++r.generation;
    if (kind == MemoryKind::device) r.device_bytes += size;
}

bool erase(const void* p, MemoryKind kind) {
    Registry& r = registry();
    const std::lock_guard lock(r.mutex);
    const auto it = r.by_begin.find(address(p));
    if (it == r.by_begin.end() || it->second.kind != kind) return false;
    if (kind == MemoryKind::device) r.device_bytes -= it->second.size;
    r.by_begin.erase(it);
    ++r.generation;
    return true;
}

}  // namespace

bool Allocation::contains(const void* p, std::size_t n) const {
    const std::uintptr_t a = address(p);
    return a >= begin && a <= begin + size && n <= begin + size - a;
}

void* allocate(std::size_t size, MemoryKind kind) {
    void* p = ::operator new(size, allocation_alignment, std::nothrow);
    if (p == nullptr) return nullptr;
    // Fresh device memory holds whatever it held before on a GPU: NaN bytes
    // here, so that a kernel (or a copy) reading memory nothing wrote yet, for
    // instance before the upload it forgot to wait for, shows rather than
    // reading the zeros a fresh page would give.
    if (kind == MemoryKind::device) std::memset(p, uninitialized_device_byte, size);
    insert(p, size, kind);
    return p;
}

bool release(void* p, MemoryKind kind) {
    if (!erase(p, kind)) return false;
    ::operator delete(p, allocation_alignment);
    return true;
}

void register_host_range(void* p, std::size_t size) { insert(p, size, MemoryKind::registered_host); }

bool unregister_host_range(void* p) { return erase(p, MemoryKind::registered_host); }

std::optional<Allocation> find_allocation(const void* p) {
    Registry& r = registry();
    const std::lock_guard lock(r.mutex);
    auto it = r.by_begin.upper_bound(address(p));
    if (it == r.by_begin.begin()) return std::nullopt;
    --it;
    if (!it->second.contains(p, 0)) return std::nullopt;
    return it->second;
}

std::size_t bytes_allocated_on_device() {
    Registry& r = registry();
    const std::lock_guard lock(r.mutex);
    return r.device_bytes;
}

std::vector<Allocation> all_allocations() {
    Registry& r = registry();
    const std::lock_guard lock(r.mutex);
    std::vector<Allocation> all;
    all.reserve(r.by_begin.size());
    for (const auto& entry : r.by_begin) all.push_back(entry.second);
    return all;
}

std::uint64_t allocations_generation() {
    Registry& r = registry();
    const std::lock_guard lock(r.mutex);
    return r.generation;
}

}  // namespace peso::cuda::emu
