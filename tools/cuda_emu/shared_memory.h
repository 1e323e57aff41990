#pragma once
// Static shared memory under the emulator. PESO_SHARED(float[256], buf)
// becomes a reference to storage in the running block's shared-memory arena,
// allocated when a thread of the block first reaches the declaration and
// shared by all of them; the next block gets fresh storage, filled with 0xff
// bytes (NaN as floats) so that reading what no thread of the block wrote shows.
#include <cstddef>
#include <cstdint>
#include <source_location>
#include <type_traits>

namespace peso::cuda::emu {

// Where one declaration's storage lies in the block that last reached it.
struct SharedSlot {
    std::uint64_t block_serial = 0;
    void* address = nullptr;
};

void* shared_variable(SharedSlot& slot, std::size_t size, std::size_t alignment, const std::source_location& site);

// `Site` is a lambda's closure type, unique to each declaration and to each
// instantiation of a template that contains one, as __shared__ variables are.
template <class T, class Site>
T& block_shared(Site, const std::source_location& site = std::source_location::current()) {
    static_assert(std::is_trivially_destructible_v<T>, "shared memory holds trivially destructible types only");
    thread_local SharedSlot slot;
    return *static_cast<T*>(shared_variable(slot, sizeof(T), alignof(T), site));
}

}  // namespace peso::cuda::emu
