#pragma once
// The emulated device: the limits of a GPU where a kernel's correctness
// depends on them (block size, shared memory, parameter size), and its
// multiprocessor count, which grid-stride loops are sized from.
//
// PESO_EMU_DEVICE chooses the device for a run: `emulator` (the default: an
// sm_90 device with only 4 multiprocessors, so that grid-stride loops take
// several trips on small tensors), `a100`, `h100` or `h200` (their real SM
// counts, shared-memory and memory sizes).
#include <cstddef>
#include <string_view>

namespace peso::cuda::emu {

// The same on every device peso targets (sm_80, sm_90).
inline constexpr int max_threads_per_block = 1024;
inline constexpr unsigned max_block_dim[3] = {1024, 1024, 64};
inline constexpr unsigned max_grid_dim[3] = {2147483647u, 65535u, 65535u};
inline constexpr std::size_t default_shared_bytes_per_block = 48 * 1024;
inline constexpr int max_threads_per_multiprocessor = 2048;

struct DeviceSpec {
    std::string_view name;
    int major = 9;
    int minor = 0;
    int multiprocessors = 4;
    std::size_t optin_shared_bytes_per_block = 227 * 1024;  // cudaFuncAttributeMaxDynamicSharedMemorySize's ceiling
    std::size_t shared_bytes_per_multiprocessor = 228 * 1024;
    std::size_t global_memory_bytes = std::size_t{16} << 30;
    std::size_t max_parameter_bytes = 32764;  // CUDA 12.1+ on Volta and later
    int l2_cache_bytes = 50 * 1024 * 1024;
};

// The device PESO_EMU_DEVICE names (read once; a bad name throws ValueError).
const DeviceSpec& device_spec();
// The table by name, or null.
const DeviceSpec* find_device_spec(std::string_view name);

}  // namespace peso::cuda::emu
