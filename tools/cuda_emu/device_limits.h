#pragma once
// The emulated device: the limits of an sm_90 GPU where a kernel's correctness
// depends on them (block size, shared memory), and few multiprocessors so that
// grid-stride loops sized from the SM count take several trips.
#include <cstddef>

namespace peso::cuda::emu {

inline constexpr int emulated_major = 9;
inline constexpr int emulated_minor = 0;
inline constexpr int emulated_multiprocessors = 4;
inline constexpr int max_threads_per_block = 1024;
inline constexpr unsigned max_block_dim[3] = {1024, 1024, 64};
inline constexpr unsigned max_grid_dim[3] = {2147483647u, 65535u, 65535u};
inline constexpr std::size_t default_shared_bytes_per_block = 48 * 1024;
inline constexpr std::size_t optin_shared_bytes_per_block = 227 * 1024;
inline constexpr std::size_t emulated_global_memory_bytes = std::size_t{16} << 30;
inline constexpr int max_threads_per_multiprocessor = 2048;

}  // namespace peso::cuda::emu
