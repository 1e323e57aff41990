#pragma once
// Reductions across a warp (shuffles) and across a block (each warp's result
// through shared memory, then the first warp). Only a prefix of the threads
// may hold values — the threads of a block reducing fewer elements than it
// has threads — so no identity element is needed (max over floats has none
// that survives NaN rules unchanged). blockDim.x must be a multiple of 32, and
// every thread of the block must call them.
#include <cstdint>
#include <limits>

#include "backends/cuda/cuda_compat.h"

PESO_CUDA_NAMESPACE_BEGIN

constexpr unsigned kFullMask = 0xffffffffu;

// A value from the lane `offset` above; kernels overload it (found by ADL)
// for structs, which the hardware shuffles cannot move whole.
template <class T>
__device__ __forceinline__ T shuffle_down(T value, unsigned offset) {
    return __shfl_down_sync(kFullMask, value, offset);
}

// Lane 0 gets the combination of lanes [0, valid) of the warp.
template <class T, class Combine>
__device__ __forceinline__ T warp_reduce(T value, Combine combine, unsigned valid = 32) {
    const unsigned lane = threadIdx.x % 32;
    for (unsigned offset = 16; offset > 0; offset /= 2) {
        const T other = shuffle_down(value, offset);
        if (lane + offset < valid) value = combine(value, other);
    }
    return value;
}

// Every thread gets the combination of the values of threads [0, valid)
// (valid >= 1). `scratch` is 32 Ts of shared memory; the barrier on entry lets
// a loop call this again with the same scratch.
template <class T, class Combine>
__device__ T block_reduce(T value, Combine combine, T* scratch, unsigned valid) {
    const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    if (valid > blockDim.x) valid = blockDim.x;
    const unsigned in_warp = valid > warp * 32 ? (valid - warp * 32 < 32 ? valid - warp * 32 : 32) : 0;
    __syncthreads();
    value = warp_reduce(value, combine, in_warp);
    if (lane == 0 && in_warp > 0) scratch[warp] = value;
    __syncthreads();
    if (warp == 0) {
        const unsigned warps = (valid + 31) / 32;
        T v = scratch[lane < warps ? lane : 0];
        v = warp_reduce(v, combine, warps);
        if (lane == 0) scratch[0] = v;
    }
    __syncthreads();
    return scratch[0];
}

// The combiners the row kernels reduce with.
struct Sum {
    template <class T>
    __device__ T operator()(T a, T b) const { return a + b; }
};
// NaN-propagating max: a NaN in the row makes every output NaN, as the
// reference's sum does.
struct MaxNan {
    template <class T>
    __device__ T operator()(T a, T b) const { return a != a ? a : (b != b ? b : (b > a ? b : a)); }
};

// A row's max and the sum of exp(x - max) over it, in every thread of the
// block (softmax's and cross-entropy's statistics; the shift by the max keeps
// exp from overflowing). `scratch` as for block_reduce.
template <class T>
struct RowExpStats {
    T max, sum;
};
template <class T>
__device__ RowExpStats<T> block_row_exp_stats(const T* x, std::int64_t n, T* scratch) {
    T mx = -std::numeric_limits<T>::infinity();
    for (std::int64_t i = threadIdx.x; i < n; i += blockDim.x) mx = MaxNan{}(mx, x[i]);
    mx = block_reduce(mx, MaxNan{}, scratch, blockDim.x);
    T sum = 0;
    for (std::int64_t i = threadIdx.x; i < n; i += blockDim.x) sum += std::exp(x[i] - mx);
    return {mx, block_reduce(sum, Sum{}, scratch, blockDim.x)};
}

PESO_CUDA_NAMESPACE_END
