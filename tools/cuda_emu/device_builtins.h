#pragma once
// What a kernel sees of the GPU, for kernels compiled by a host compiler:
// thread coordinates, block barriers and warp collectives. The coordinates are
// per OS thread; the scheduler (block_runner.cpp) sets them before it switches
// to the fiber of a GPU thread. Barriers and collectives suspend the calling
// fiber until its partners arrive, and record where they were called from so
// that misuse is reported with the source line.
#include <atomic>
#include <cstdint>
#include <cstring>
#include <source_location>
#include <type_traits>

#include "tools/cuda_emu/toolkit_headers.h"

namespace peso::cuda::emu {

enum class BarrierKind : std::uint8_t { sync, count, all, any };

enum class WarpOp : std::uint8_t {
    shfl, shfl_up, shfl_down, shfl_xor, syncwarp, ballot, any, all,
    reduce_add_unsigned, reduce_add_signed, reduce_min_unsigned, reduce_min_signed,
    reduce_max_unsigned, reduce_max_signed, reduce_and, reduce_or, reduce_xor,
};

// Entry points for the builtins below; they throw KernelError when called
// outside an emulated kernel.
int block_barrier(BarrierKind kind, int predicate, const std::source_location& site);
std::uint64_t warp_collective(WarpOp op, unsigned mask, std::uint64_t value, unsigned value_size, int lane_arg,
                              int width, const std::source_location& site);
unsigned active_lanes();
void* dynamic_shared_memory();
[[noreturn]] void trap(const std::source_location& site);

// The value types CUDA's shuffles take travel as raw bits. (__half2 and
// __nv_bfloat162 are plain data but not trivially copyable, so no bit_cast.)
template <class T>
concept ShuffleValue = (sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8) && std::is_standard_layout_v<T> &&
                       !std::is_pointer_v<T> && !std::is_same_v<T, bool>;

template <ShuffleValue T>
T warp_shuffle(WarpOp op, unsigned mask, T value, int lane_arg, int width, const std::source_location& site) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, static_cast<const void*>(&value), sizeof(T));
    bits = warp_collective(op, mask, bits, sizeof(T), lane_arg, width, site);
    T out = value;
    std::memcpy(static_cast<void*>(&out), &bits, sizeof(T));
    return out;
}

inline std::uint64_t predicate_bits(int predicate) { return predicate != 0 ? 1 : 0; }

}  // namespace peso::cuda::emu

// ---- coordinates -------------------------------------------------------------
// CUDA declares these as read-only builtins; here they are plain per-OS-thread
// variables that kernels must treat as read-only.
inline thread_local uint3 threadIdx{};
inline thread_local uint3 blockIdx{};
inline thread_local dim3 blockDim{};
inline thread_local dim3 gridDim{};
inline constexpr int warpSize = 32;

// ---- block barriers ------------------------------------------------------------
inline void __syncthreads(std::source_location site = std::source_location::current()) {
    ::peso::cuda::emu::block_barrier(::peso::cuda::emu::BarrierKind::sync, 0, site);
}
inline int __syncthreads_count(int predicate, std::source_location site = std::source_location::current()) {
    return ::peso::cuda::emu::block_barrier(::peso::cuda::emu::BarrierKind::count, predicate, site);
}
inline int __syncthreads_and(int predicate, std::source_location site = std::source_location::current()) {
    return ::peso::cuda::emu::block_barrier(::peso::cuda::emu::BarrierKind::all, predicate, site);
}
inline int __syncthreads_or(int predicate, std::source_location site = std::source_location::current()) {
    return ::peso::cuda::emu::block_barrier(::peso::cuda::emu::BarrierKind::any, predicate, site);
}

// ---- warp collectives ------------------------------------------------------------
inline void __syncwarp(unsigned mask = 0xffffffffu, std::source_location site = std::source_location::current()) {
    ::peso::cuda::emu::warp_collective(::peso::cuda::emu::WarpOp::syncwarp, mask, 0, 0, 0, warpSize, site);
}

// One overload per type CUDA shuffles, so that arguments convert as they do
// under nvcc (a bool or short is shuffled as an int).
#define PESO_EMU_SHUFFLES(type)                                                                                  \
    inline type __shfl_sync(unsigned mask, type var, int srcLane, int width = warpSize,                         \
                            std::source_location site = std::source_location::current()) {                      \
        return ::peso::cuda::emu::warp_shuffle(::peso::cuda::emu::WarpOp::shfl, mask, var, srcLane, width, site);  \
    }                                                                                                            \
    inline type __shfl_up_sync(unsigned mask, type var, unsigned delta, int width = warpSize,                   \
                               std::source_location site = std::source_location::current()) {                   \
        return ::peso::cuda::emu::warp_shuffle(::peso::cuda::emu::WarpOp::shfl_up, mask, var,                      \
                                               static_cast<int>(delta), width, site);                            \
    }                                                                                                            \
    inline type __shfl_down_sync(unsigned mask, type var, unsigned delta, int width = warpSize,                 \
                                 std::source_location site = std::source_location::current()) {                 \
        return ::peso::cuda::emu::warp_shuffle(::peso::cuda::emu::WarpOp::shfl_down, mask, var,                    \
                                               static_cast<int>(delta), width, site);                            \
    }                                                                                                            \
    inline type __shfl_xor_sync(unsigned mask, type var, int laneMask, int width = warpSize,                    \
                                std::source_location site = std::source_location::current()) {                  \
        return ::peso::cuda::emu::warp_shuffle(::peso::cuda::emu::WarpOp::shfl_xor, mask, var, laneMask, width,   \
                                               site);                                                            \
    }
PESO_EMU_SHUFFLES(int)
PESO_EMU_SHUFFLES(unsigned int)
PESO_EMU_SHUFFLES(long)
PESO_EMU_SHUFFLES(unsigned long)
PESO_EMU_SHUFFLES(long long)
PESO_EMU_SHUFFLES(unsigned long long)
PESO_EMU_SHUFFLES(float)
PESO_EMU_SHUFFLES(double)
PESO_EMU_SHUFFLES(__half)
PESO_EMU_SHUFFLES(__half2)
PESO_EMU_SHUFFLES(__nv_bfloat16)
PESO_EMU_SHUFFLES(__nv_bfloat162)
#undef PESO_EMU_SHUFFLES

inline unsigned __ballot_sync(unsigned mask, int predicate,
                              std::source_location site = std::source_location::current()) {
    return static_cast<unsigned>(::peso::cuda::emu::warp_collective(
        ::peso::cuda::emu::WarpOp::ballot, mask, ::peso::cuda::emu::predicate_bits(predicate), 4, 0, warpSize, site));
}
inline int __any_sync(unsigned mask, int predicate, std::source_location site = std::source_location::current()) {
    return static_cast<int>(::peso::cuda::emu::warp_collective(
        ::peso::cuda::emu::WarpOp::any, mask, ::peso::cuda::emu::predicate_bits(predicate), 4, 0, warpSize, site));
}
inline int __all_sync(unsigned mask, int predicate, std::source_location site = std::source_location::current()) {
    return static_cast<int>(::peso::cuda::emu::warp_collective(
        ::peso::cuda::emu::WarpOp::all, mask, ::peso::cuda::emu::predicate_bits(predicate), 4, 0, warpSize, site));
}

// The lanes of the caller's warp that have not exited. A GPU reports the lanes
// that happen to be converged, which no emulator can know; kernels should
// derive masks from __ballot_sync instead.
inline unsigned __activemask() { return ::peso::cuda::emu::active_lanes(); }

// sm_80 warp reductions.
#define PESO_EMU_WARP_REDUCE(name, type, op)                                                               \
    inline type name(unsigned mask, type value, std::source_location site = std::source_location::current()) { \
        return static_cast<type>(::peso::cuda::emu::warp_collective(                                      \
            ::peso::cuda::emu::WarpOp::op, mask, static_cast<std::uint32_t>(value), 4, 0, warpSize, site)); \
    }
PESO_EMU_WARP_REDUCE(__reduce_add_sync, unsigned, reduce_add_unsigned)
PESO_EMU_WARP_REDUCE(__reduce_add_sync, int, reduce_add_signed)
PESO_EMU_WARP_REDUCE(__reduce_min_sync, unsigned, reduce_min_unsigned)
PESO_EMU_WARP_REDUCE(__reduce_min_sync, int, reduce_min_signed)
PESO_EMU_WARP_REDUCE(__reduce_max_sync, unsigned, reduce_max_unsigned)
PESO_EMU_WARP_REDUCE(__reduce_max_sync, int, reduce_max_signed)
PESO_EMU_WARP_REDUCE(__reduce_and_sync, unsigned, reduce_and)
PESO_EMU_WARP_REDUCE(__reduce_or_sync, unsigned, reduce_or)
PESO_EMU_WARP_REDUCE(__reduce_xor_sync, unsigned, reduce_xor)
#undef PESO_EMU_WARP_REDUCE

// ---- fences, traps, loads -------------------------------------------------------------
// The emulator runs a block's threads on one OS thread and switches only at
// barriers and collectives, so memory is sequentially consistent; fences only
// keep the compiler from caching across them.
inline void __threadfence() { std::atomic_signal_fence(std::memory_order_seq_cst); }
inline void __threadfence_block() { std::atomic_signal_fence(std::memory_order_seq_cst); }
inline void __threadfence_system() { std::atomic_signal_fence(std::memory_order_seq_cst); }

[[noreturn]] inline void __trap(std::source_location site = std::source_location::current()) {
    ::peso::cuda::emu::trap(site);
}

template <class T> T __ldg(const T* p) { return *p; }
template <class T> T __ldca(const T* p) { return *p; }
template <class T> T __ldcg(const T* p) { return *p; }
template <class T> T __ldcs(const T* p) { return *p; }
template <class T> T __ldlu(const T* p) { return *p; }
template <class T> T __ldcv(const T* p) { return *p; }
template <class T> void __stwb(T* p, T value) { *p = value; }
template <class T> void __stcg(T* p, T value) { *p = value; }
template <class T> void __stcs(T* p, T value) { *p = value; }
template <class T> void __stwt(T* p, T value) { *p = value; }
