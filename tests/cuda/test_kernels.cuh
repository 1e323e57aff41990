#pragma once
// Kernels that exercise the CUDA emulator, written once in CUDA C++: g++ runs
// them on the emulator in test_emulator.cpp, nvcc builds them for sm_80/sm_90
// in test_kernels.cu. Some are wrong on purpose (a race, a divergent barrier,
// mismatched warp masks) so that the tests can check the emulator reports them.
#include "backends/cuda/cuda_compat.h"
#include "backends/cuda/launch.h"

PESO_CUDA_NAMESPACE_BEGIN
namespace test_kernels {

constexpr unsigned full_mask = 0xffffffffu;

// ---- reductions ---------------------------------------------------------------------------

// One sum per block: a tree in shared memory that halves the active threads at
// every barrier. blockDim.x must be a power of two no larger than MaxThreads.
template <class T, int MaxThreads>
__global__ void block_sum(const T* in, T* out, int n) {
    PESO_SHARED(T[MaxThreads], partial);
    const int tid = static_cast<int>(threadIdx.x);
    const int i = static_cast<int>(blockIdx.x * blockDim.x) + tid;
    partial[tid] = i < n ? in[i] : T(0);
    __syncthreads();
    for (int stride = static_cast<int>(blockDim.x) / 2; stride > 0; stride /= 2) {
        if (tid < stride) partial[tid] += partial[tid + stride];
        __syncthreads();
    }
    if (tid == 0) out[blockIdx.x] = partial[0];
}

template <class T>
__device__ T warp_sum(T value) {
    for (int offset = warpSize / 2; offset > 0; offset /= 2) value += __shfl_down_sync(full_mask, value, offset);
    return value;
}

// One sum per block: shuffles within each warp, the warps' sums through shared
// memory, then the first warp again.
template <class T>
__global__ void warp_shuffle_sum(const T* in, T* out, int n) {
    PESO_SHARED(T[32], warp_sums);
    const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
    const int lane = static_cast<int>(threadIdx.x) % warpSize;
    const int warp = static_cast<int>(threadIdx.x) / warpSize;
    T value = warp_sum(i < n ? in[i] : T(0));
    if (lane == 0) warp_sums[warp] = value;
    __syncthreads();
    const int warps = (static_cast<int>(blockDim.x) + warpSize - 1) / warpSize;
    if (warp == 0) {
        value = warp_sum(lane < warps ? warp_sums[lane] : T(0));
        if (lane == 0) out[blockIdx.x] = value;
    }
}

// ---- warp collectives ------------------------------------------------------------------------

// Inclusive prefix sums within each warp (Hillis-Steele with __shfl_up_sync).
__global__ void warp_inclusive_scan(const int* in, int* out, int n) {
    const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
    const int lane = static_cast<int>(threadIdx.x) % warpSize;
    int value = i < n ? in[i] : 0;
    for (int offset = 1; offset < warpSize; offset *= 2) {
        const int up = __shfl_up_sync(full_mask, value, offset);
        if (lane >= offset) value += up;
    }
    if (i < n) out[i] = value;
}

// Within segments of `Width` lanes: the maximum through a butterfly of
// __shfl_xor_sync, and the value of each segment's lane 3 through __shfl_sync.
template <int Width>
__global__ void segment_max_and_broadcast(const int* in, int* max_out, double* broadcast_out) {
    const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
    int value = in[i];
    for (int m = Width / 2; m > 0; m /= 2) value = max(value, __shfl_xor_sync(full_mask, value, m, Width));
    max_out[i] = value;
    broadcast_out[i] = __shfl_sync(full_mask, static_cast<double>(in[i]) * 0.5, 3, Width);
}

// Per warp: which lanes hold a positive value, whether any is negative, whether all are non-zero.
__global__ void warp_votes(const int* in, unsigned* ballots, int* any_negative, int* all_nonzero) {
    const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
    const int warp = i / warpSize;
    const unsigned ballot = __ballot_sync(full_mask, in[i] > 0);
    const int any = __any_sync(full_mask, in[i] < 0);
    const int all = __all_sync(full_mask, in[i] != 0);
    __syncwarp();
    if (threadIdx.x % warpSize == 0) {
        ballots[warp] = ballot;
        any_negative[warp] = any;
        all_nonzero[warp] = all;
    }
}

// sm_80's warp reductions.
__global__ void warp_reduce_intrinsics(const int* in, int* sums, int* minima, unsigned* ors) {
    const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
    const int warp = i / warpSize;
    const int sum = __reduce_add_sync(full_mask, in[i]);
    const int minimum = __reduce_min_sync(full_mask, in[i]);
    const unsigned bits = __reduce_or_sync(full_mask, static_cast<unsigned>(in[i]) & 0xffu);
    if (threadIdx.x % warpSize == 0) {
        sums[warp] = sum;
        minima[warp] = minimum;
        ors[warp] = bits;
    }
}

// Per block: how many values are positive, whether all are, whether any is.
__global__ void block_votes(const int* in, int* counts, int* all_positive, int* any_positive) {
    const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
    const int count = __syncthreads_count(in[i] > 0);
    const int all = __syncthreads_and(in[i] > 0);
    const int any = __syncthreads_or(in[i] > 0);
    if (threadIdx.x == 0) {
        counts[blockIdx.x] = count;
        all_positive[blockIdx.x] = all;
        any_positive[blockIdx.x] = any;
    }
}

// Half precision through the toolkit's cuda_fp16.h: each pair of lanes adds its two values.
__global__ void half_pair_sums(const float* in, float* out) {
    const __half value = __float2half(in[threadIdx.x]);
    const __half neighbour = __shfl_xor_sync(full_mask, value, 1);
    out[threadIdx.x] = __half2float(__hadd(value, neighbour));
}

// ---- atomics ---------------------------------------------------------------------------------

constexpr int histogram_bins = 16;

// A histogram kept per block in shared memory, then added to the global one.
__global__ void histogram(const int* values, int n, unsigned* bins) {
    PESO_SHARED(unsigned[histogram_bins], local);
    for (int b = static_cast<int>(threadIdx.x); b < histogram_bins; b += static_cast<int>(blockDim.x)) local[b] = 0;
    __syncthreads();
    const int stride = static_cast<int>(blockDim.x * gridDim.x);
    for (int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x); i < n; i += stride) {
        atomicAdd(&local[values[i] % histogram_bins], 1u);
    }
    __syncthreads();
    for (int b = static_cast<int>(threadIdx.x); b < histogram_bins; b += static_cast<int>(blockDim.x)) {
        atomicAdd(&bins[b], local[b]);
    }
}

// A float maximum built from atomicCAS on the float's bits.
__device__ float atomic_max_float(float* address, float value) {
    int* bits = reinterpret_cast<int*>(address);
    int old = *bits;
    while (__int_as_float(old) < value) {
        const int assumed = old;
        old = atomicCAS(bits, assumed, __float_as_int(value));
        if (old == assumed) break;
    }
    return __int_as_float(old);
}

struct AtomicResults {
    int max_value;
    int min_value;
    unsigned long long sum;
    float float_sum;
    double double_sum;
    float float_max;
    unsigned wrapped_counter;
    int last_writer;
};

__global__ void atomic_mix(const int* values, int n, AtomicResults* r) {
    const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
    if (i >= n) return;
    atomicMax(&r->max_value, values[i]);
    atomicMin(&r->min_value, values[i]);
    atomicAdd(&r->sum, static_cast<unsigned long long>(values[i]));
    atomicAdd(&r->float_sum, static_cast<float>(values[i]));
    atomicAdd(&r->double_sum, static_cast<double>(values[i]) * 0.5);
    atomic_max_float(&r->float_max, static_cast<float>(values[i]) * 0.25f);
    atomicInc(&r->wrapped_counter, 9u);  // counts 0..9 then wraps to 0
    atomicExch(&r->last_writer, i);
}

// ---- shared memory ------------------------------------------------------------------------------

// Reverses each block's slice through dynamic shared memory, which holds the
// values and, after them, their global indices.
__global__ void reverse_blocks(const float* in, float* out, int* source_index) {
    float* values = dynamic_shared<float>();
    int* indices = reinterpret_cast<int*>(values + blockDim.x);
    const int t = static_cast<int>(threadIdx.x);
    const int i = static_cast<int>(blockIdx.x * blockDim.x) + t;
    values[t] = in[i];
    indices[t] = i;
    __syncthreads();
    const int mirror = static_cast<int>(blockDim.x) - 1 - t;
    out[i] = values[mirror];
    source_index[i] = indices[mirror];
}

// Coordinates of every thread of a 3-D launch, as one linear index per thread.
__global__ void write_coordinates(uint4* out) {
    const unsigned block = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
    const unsigned thread = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
    const unsigned linear = block * blockDim.x * blockDim.y * blockDim.z + thread;
    out[linear] = make_uint4(threadIdx.x + 10 * threadIdx.y + 100 * threadIdx.z,
                             blockIdx.x + 10 * blockIdx.y + 100 * blockIdx.z, blockDim.x * blockDim.y * blockDim.z,
                             gridDim.x * gridDim.y * gridDim.z);
}

// ---- wrong on purpose -----------------------------------------------------------------------------

// Each thread reads its left neighbour's value with no barrier after the
// writes: right only when the threads happen to run in index order.
__global__ void shift_right_racy(const int* in, int* out) {
    PESO_SHARED(int[1024], staged);
    const int t = static_cast<int>(threadIdx.x);
    const int i = static_cast<int>(blockIdx.x * blockDim.x) + t;
    staged[t] = in[i];
    // A __syncthreads() belongs here.
    out[i] = t > 0 ? staged[t - 1] : 0;
}

// Only the first half of the block reaches the barrier.
__global__ void barrier_in_branch(int* out) {
    if (threadIdx.x < blockDim.x / 2) {
        __syncthreads();
        out[threadIdx.x] = 1;
    }
}

// Even and odd threads wait at two different barriers.
__global__ void barriers_at_two_sites(int* out) {
    if (threadIdx.x % 2 == 0) {
        __syncthreads();
    } else {
        __syncthreads();
    }
    out[threadIdx.x] = 1;
}

// A thread-dependent number of barriers: thread t waits t times.
__global__ void barrier_in_uneven_loop(int* out) {
    for (unsigned k = 0; k < threadIdx.x; ++k) __syncthreads();
    out[threadIdx.x] = 1;
}

// Even lanes shuffle with the full mask, odd lanes with a mask that leaves out
// lane 0: each group names lanes of the other, and waits for them forever.
__global__ void mismatched_shuffle_masks(const float* in, float* out) {
    const unsigned lane = threadIdx.x % warpSize;
    const unsigned mask = lane % 2 == 0 ? full_mask : full_mask & ~1u;
    out[threadIdx.x] = __shfl_xor_sync(mask, in[threadIdx.x], 1);
}

// The mask leaves out the calling lane itself.
__global__ void shuffle_mask_without_caller(const float* in, float* out) {
    out[threadIdx.x] = __shfl_down_sync(0x1u, in[threadIdx.x], 1);
}

// Lane 0 waits at a shuffle for lanes that are waiting at __syncthreads.
__global__ void shuffle_against_barrier(const float* in, float* out) {
    float value = in[threadIdx.x];
    if (threadIdx.x == 0) {
        value = __shfl_sync(full_mask, value, 1);
    }
    __syncthreads();
    out[threadIdx.x] = value;
}

// A full-mask shuffle sum in a block whose last warp is partial: lanes read
// from lanes that do not exist, which a GPU leaves undefined.
__global__ void full_mask_sum_in_partial_warp(const float* in, float* out) {
    const float value = warp_sum(in[threadIdx.x]);
    if (threadIdx.x % warpSize == 0) out[threadIdx.x / warpSize] = value;
}

__global__ void out_of_bounds_write(float* data, int n) {
    data[n + static_cast<int>(threadIdx.x)] = 1.0f;  // n valid elements: every write is past the end
}

__global__ void shared_out_of_bounds_write(float* out) {
    PESO_SHARED(float[32], staged);
    // Through a pointer, as a helper would see it (indexing `staged` itself past 31 is caught by UBSan's bounds check).
    float* row = staged;
    row[threadIdx.x + 32] = 1.0f;  // one past the end for thread 0
    __syncthreads();
    out[threadIdx.x] = staged[threadIdx.x];
}

__global__ void calls_trap(int* out) {
    if (threadIdx.x == 5) __trap();
    out[threadIdx.x] = 1;
}

// Emulator only: for a GPU, ptxas itself rejects the kernel ("uses too much shared data").
#if PESO_CUDA_EMULATED
__global__ void too_much_static_shared(float* out) {
    PESO_SHARED(float[8192], a);  // 32 KiB
    PESO_SHARED(float[8192], b);  // another 32 KiB: over the 48 KiB a block may declare
    a[threadIdx.x] = 1.0f;
    b[threadIdx.x] = 2.0f;
    __syncthreads();
    out[threadIdx.x] = a[threadIdx.x] + b[threadIdx.x];
}
#endif

__global__ void add_one(float* data, int n) {
    const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
    if (i < n) data[i] += 1.0f;
}

// ---- host side: every launch above, as the tests and the nvcc build make them ----------------

template <class T>
void launch_block_sum(const T* in, T* out, int n, int threads, cudaStream_t stream = nullptr) {
    const int blocks = (n + threads - 1) / threads;
    launch(block_sum<T, 1024>, blocks, threads, 0, stream, in, out, n);
}

template <class T>
void launch_warp_shuffle_sum(const T* in, T* out, int n, int threads) {
    const int blocks = (n + threads - 1) / threads;
    launch(warp_shuffle_sum<T>, blocks, threads, 0, nullptr, in, out, n);
}

inline void launch_reverse_blocks(const float* in, float* out, int* source_index, int n, int threads) {
    const std::size_t shared = static_cast<std::size_t>(threads) * (sizeof(float) + sizeof(int));
    launch(reverse_blocks, n / threads, threads, shared, nullptr, in, out, source_index);
}

}  // namespace test_kernels
PESO_CUDA_NAMESPACE_END
