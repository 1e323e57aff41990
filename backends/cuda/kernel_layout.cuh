#pragma once
// What kernels know of tensor layouts: plain structs passed by value, and the
// launch shapes shared by the backend's kernels.
#include <cstdint>

#include "backends/cuda/cuda_compat.h"
#include "backends/tensor_arg.h"

PESO_CUDA_NAMESPACE_BEGIN

// The element offsets of N arguments that share sizes (an elementwise op's
// output and inputs, broadcast inputs having stride 0), for the linear
// row-major index of an element.
template <int N>
struct OffsetCalc {
    int ndim = 0;
    std::int64_t sizes[kMaxDims] = {};
    std::int64_t strides[N][kMaxDims] = {};

    __host__ __device__ void offsets(std::int64_t linear, std::int64_t (&off)[N]) const {
        for (int k = 0; k < N; ++k) off[k] = 0;
        for (int d = ndim - 1; d >= 0; --d) {
            const std::int64_t size = sizes[d];
            const std::int64_t i = linear % size;
            linear /= size;
            for (int k = 0; k < N; ++k) off[k] += i * strides[k][d];
        }
    }
    __host__ __device__ std::int64_t offset(std::int64_t linear) const {
        static_assert(N == 1, "offset(): one argument");
        std::int64_t off[1];
        offsets(linear, off);
        return off[0];
    }
};

// Sizes from the first argument, strides from each.
template <int N>
OffsetCalc<N> make_offset_calc(const TensorArg* const (&args)[N]) {
    OffsetCalc<N> calc;
    calc.ndim = args[0]->dim();
    for (int d = 0; d < calc.ndim; ++d) {
        calc.sizes[d] = args[0]->sizes[d];
        for (int k = 0; k < N; ++k) calc.strides[k][d] = args[k]->strides[d];
    }
    return calc;
}

inline OffsetCalc<1> make_offset_calc(const TensorArg& a) {
    const TensorArg* args[1] = {&a};
    return make_offset_calc(args);
}

constexpr int kThreads = 256;

// The device's streaming multiprocessors (asked once).
int multiprocessors();

// Blocks for a grid-stride loop over n items, `per_block` items a block per
// trip, capped so that a launch keeps every multiprocessor busy without
// paying for blocks that would only run one after another.
unsigned grid_for(std::int64_t n, std::int64_t per_block);

// Threads per block for a grid-stride loop over n items, `per_thread` items
// a thread per trip: kThreads, or fewer (a multiple of 32) when n is small,
// so that a launch over a few elements does not start idle threads — the
// emulator runs every thread, and a GPU schedules every warp.
inline unsigned threads_for(std::int64_t n, std::int64_t per_thread = 1) {
    const std::int64_t needed = (n + per_thread - 1) / per_thread;
    const std::int64_t warps = (needed + 31) / 32;
    return static_cast<unsigned>(warps >= kThreads / 32 ? kThreads : (warps < 1 ? 32 : warps * 32));
}

// Threads for one block reducing `n` values: a power of two in [32, max_threads].
inline unsigned reduce_threads(std::int64_t n, unsigned max_threads = kThreads) {
    unsigned t = 32;
    while (t < max_threads && static_cast<std::int64_t>(t) < n) t *= 2;
    return t;
}

PESO_CUDA_NAMESPACE_END
