// sort and topk by rank: each thread takes one element of a row and counts
// the elements that go before it (smaller, or equal and earlier: a stable
// order, NaN above every number as in the reference), which is where it goes.
// O(n) work per element: fine for the rows peso sorts (top-k of logits,
// argsort of small dims); a radix or merge sort would be the next step for
// long rows. cumsum: a block-wide scan (warp shuffles, then the warps'
// totals) over the row in chunks of blockDim.x elements.
#include <cstdint>
#include <type_traits>

#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/device_guard.h"
#include "backends/cuda/kernel_layout.cuh"
#include "backends/cuda/launch.h"
#include "backends/cuda/stream.h"

PESO_CUDA_NAMESPACE_BEGIN

namespace {

template <class T>
__device__ __forceinline__ bool less_nan_last(T a, T b) {
    if constexpr (std::is_floating_point_v<T>) {
        if (a != a) return false;
        if (b != b) return true;
    }
    return a < b;
}

template <class T>
__global__ void rank_sort_kernel(const T* in, T* values, std::int64_t* indices, std::int64_t rows, std::int64_t n,
                                 std::int64_t k, bool descending) {
    const std::int64_t total = rows * n, stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
    for (std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
        const std::int64_t row = e / n, i = e % n;
        const T* x = in + row * n;
        const T xi = x[i];
        std::int64_t rank = 0;
        for (std::int64_t j = 0; j < n; ++j) {
            const T xj = x[j];
            const bool before = descending ? less_nan_last(xi, xj) : less_nan_last(xj, xi);
            const bool tie = !less_nan_last(xi, xj) && !less_nan_last(xj, xi);
            rank += (before || (tie && j < i)) ? 1 : 0;
        }
        if (rank < k) {
            values[row * k + rank] = xi;
            indices[row * k + rank] = i;
        }
    }
}

template <class T, class Acc, class O>
__global__ void cumsum_kernel(const T* in, O* out, std::int64_t rows, std::int64_t n) {
    PESO_SHARED(Acc[32], warp_totals);
    const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
    for (std::int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
        Acc carry = 0;  // the sum of the row's earlier chunks
        for (std::int64_t base = 0; base < n; base += blockDim.x) {
            const std::int64_t i = base + threadIdx.x;
            Acc v = i < n ? static_cast<Acc>(in[row * n + i]) : Acc(0);
            for (unsigned offset = 1; offset < 32; offset *= 2) {
                const Acc t = __shfl_up_sync(0xffffffffu, v, offset);
                if (lane >= offset) v += t;
            }
            if (lane == 31) warp_totals[warp] = v;
            __syncthreads();
            if (warp == 0) {
                Acc w = lane < warps ? warp_totals[lane] : Acc(0);
                for (unsigned offset = 1; offset < 32; offset *= 2) {
                    const Acc t = __shfl_up_sync(0xffffffffu, w, offset);
                    if (lane >= offset) w += t;
                }
                if (lane < warps) warp_totals[lane] = w;
            }
            __syncthreads();
            v += carry + (warp > 0 ? warp_totals[warp - 1] : Acc(0));
            if (i < n) out[row * n + i] = static_cast<O>(v);
            carry += warp_totals[warps - 1];
            __syncthreads();  // every thread has read the totals before the next chunk writes them
        }
    }
}

void sort_rows(const TensorArg& values, const TensorArg& indices, const TensorArg& in, std::int64_t k, bool descending,
               const char* op) {
    const std::int64_t rows = in.sizes[0], n = in.sizes[1];
    if (rows * n == 0 || k == 0) return;
    visit_dtype(in.dtype, op, [&](auto tag) {
        using T = typename decltype(tag)::type;
        const unsigned threads = threads_for(rows * n);
        launch(rank_sort_kernel<T>, grid_for(rows * n, threads), threads, 0, current_stream(), in.ptr<const T>(),
               values.ptr<T>(), indices.ptr<std::int64_t>(), rows, n, k, descending);
    });
}

}  // namespace

void CudaBackend::sort(const TensorArg& values, const TensorArg& indices, const TensorArg& in, bool descending) {
    const DeviceGuard guard(device_);
    sort_rows(values, indices, in, in.sizes[1], descending, "sort");
}

void CudaBackend::topk(const TensorArg& values, const TensorArg& indices, const TensorArg& in, std::int64_t k,
                       bool largest) {
    const DeviceGuard guard(device_);
    sort_rows(values, indices, in, k, largest, "topk");
}

void CudaBackend::cumsum(const TensorArg& out, const TensorArg& in) {
    const DeviceGuard guard(device_);
    const std::int64_t rows = in.sizes[0], n = in.sizes[1];
    if (rows * n == 0) return;
    visit_dtype(in.dtype, "cumsum", [&](auto tag) {
        using T = typename decltype(tag)::type;
        using Acc = std::conditional_t<std::is_floating_point_v<T>, double, std::int64_t>;
        using O = std::conditional_t<std::is_floating_point_v<T>, T, std::int64_t>;
        launch(cumsum_kernel<T, Acc, O>, grid_for(rows, 1), reduce_threads(n), 0, current_stream(), in.ptr<const T>(),
               out.ptr<O>(), rows, n);
    });
}

PESO_CUDA_NAMESPACE_END
