// sort and topk: a bitonic sort of tiles in shared memory, then merge passes
// in global memory that keep only the first k (see kTile); the order is the
// reference's stable one (NaN above every number). cumsum: a block-wide scan
// (warp shuffles, then the warps' totals) over the row in chunks of
// blockDim.x elements.
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/device_guard.h"
#include "backends/cuda/kernel_layout.cuh"
#include "backends/cuda/launch.h"
#include "backends/cuda/scratch.h"
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

// An element and its index in the row; index -1 pads a tile to a power of two
// and goes after every element.
template <class T>
struct Item {
    T key;
    std::int64_t index;
};

// The sort's total order: by key (NaN above every number; reversed when
// descending), ties by index — so the result is the stable sort's, whatever
// algorithm produces it.
template <class T>
__device__ __forceinline__ bool before(const Item<T>& a, const Item<T>& b, bool descending) {
    if (a.index < 0) return false;
    if (b.index < 0) return true;
    const bool a_first = descending ? less_nan_last(b.key, a.key) : less_nan_last(a.key, b.key);
    const bool b_first = descending ? less_nan_last(a.key, b.key) : less_nan_last(b.key, a.key);
    return a_first || (!b_first && a.index < b.index);
}

// Sorting a row: tiles of up to kTile elements are sorted in shared memory by
// a bitonic network, and only the first `keep` of each (k, for top-k) are
// written out as a run; runs are then merged pairwise in global memory
// (merge path: each thread finds where its share of the output starts by a
// binary search, then merges it sequentially), each merge again keeping at
// most `keep`, until one run is left. Work: O(n log^2 kTile) for the tiles,
// then O(min(n, k) log(n / kTile)) per row — a top-k of a 50257-token
// vocabulary with small k is the tiles and a few short merges.
constexpr std::int64_t kTile = 2048;

// The smallest power of two >= n (n <= kTile).
std::int64_t tile_size(std::int64_t n) {
    std::int64_t p = 2;
    while (p < n && p < kTile) p *= 2;
    return p;
}

// Tile t of a row of `in` (contiguous rows of n) sorted; its first `keep`
// items written at out_keys/out_index + row * out_row_stride + t * run_stride.
template <class T>
__global__ void sort_tiles_kernel(const T* in, std::int64_t rows, std::int64_t n, std::int64_t tile,
                                  std::int64_t keep, bool descending, T* out_keys, std::int64_t* out_index,
                                  std::int64_t out_row_stride, std::int64_t run_stride) {
    Item<T>* items = dynamic_shared<Item<T>>();
    const std::int64_t tiles = (n + tile - 1) / tile, pairs = tile / 2;
    for (std::int64_t job = blockIdx.x; job < rows * tiles; job += gridDim.x) {
        const std::int64_t row = job / tiles, t = job % tiles, begin = t * tile;
        const std::int64_t length = n - begin < tile ? n - begin : tile;
        __syncthreads();  // the previous job's items have been written out
        for (std::int64_t i = threadIdx.x; i < tile; i += blockDim.x) {
            items[i] = i < length ? Item<T>{in[row * n + begin + i], begin + i} : Item<T>{T{}, -1};
        }
        __syncthreads();
        for (std::int64_t size = 2; size <= tile; size *= 2) {
            for (std::int64_t stride = size / 2; stride > 0; stride /= 2) {
                for (std::int64_t p = threadIdx.x; p < pairs; p += blockDim.x) {
                    const std::int64_t i = (p / stride) * 2 * stride + p % stride, j = i + stride;
                    const bool up = (i & size) == 0;  // this half-sequence ascends in `before`'s order
                    if (up ? before(items[j], items[i], descending) : before(items[i], items[j], descending)) {
                        const Item<T> x = items[i];
                        items[i] = items[j];
                        items[j] = x;
                    }
                }
                __syncthreads();
            }
        }
        const std::int64_t count = length < keep ? length : keep;
        const std::int64_t base = row * out_row_stride + t * run_stride;
        for (std::int64_t i = threadIdx.x; i < count; i += blockDim.x) {
            out_keys[base + i] = items[i].key;
            out_index[base + i] = items[i].index;
        }
    }
}

// How many of the first d items of the merge of a (la) and b (lb) come from a.
template <class T>
__device__ std::int64_t merge_split(const T* ak, const std::int64_t* ai, std::int64_t la, const T* bk,
                                    const std::int64_t* bi, std::int64_t lb, std::int64_t d, bool descending) {
    std::int64_t lo = d - lb > 0 ? d - lb : 0, hi = d < la ? d : la;
    while (lo < hi) {
        const std::int64_t mid = (lo + hi) / 2;
        if (before(Item<T>{ak[mid], ai[mid]}, Item<T>{bk[d - 1 - mid], bi[d - 1 - mid]}, descending)) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

// One merge pass: runs of a row start every `run_stride` items (the first
// min(keep, items they cover) of each hold data); runs 2p and 2p + 1 merge
// into the output's run p, which starts at p * 2 * run_stride, or at 0 of the
// row's out_row_stride when it is the last pass.
template <class T>
__global__ void merge_runs_kernel(const T* keys, const std::int64_t* index, std::int64_t rows, std::int64_t n,
                                  std::int64_t run_stride, std::int64_t keep, bool descending, T* out_keys,
                                  std::int64_t* out_index, std::int64_t out_row_stride) {
    const std::int64_t runs = (n + run_stride - 1) / run_stride, merges = (runs + 1) / 2;
    for (std::int64_t job = blockIdx.x; job < rows * merges; job += gridDim.x) {
        const std::int64_t row = job / merges, p = job % merges;
        const std::int64_t a_begin = 2 * p * run_stride, b_begin = a_begin + run_stride;
        const std::int64_t a_cover = n - a_begin < run_stride ? n - a_begin : run_stride;
        const std::int64_t b_cover = b_begin >= n ? 0 : (n - b_begin < run_stride ? n - b_begin : run_stride);
        const std::int64_t la = a_cover < keep ? a_cover : keep, lb = b_cover < keep ? b_cover : keep;
        const std::int64_t total = la + lb < keep ? la + lb : keep;
        const T* ak = keys + row * n + a_begin;
        const T* bk = keys + row * n + b_begin;
        const std::int64_t* ai = index + row * n + a_begin;
        const std::int64_t* bi = index + row * n + b_begin;
        const std::int64_t out_base = row * out_row_stride + 2 * p * run_stride;
        const std::int64_t share = (total + blockDim.x - 1) / blockDim.x;
        const std::int64_t first = threadIdx.x * share, last = first + share < total ? first + share : total;
        if (first >= last) continue;
        std::int64_t i = merge_split(ak, ai, la, bk, bi, lb, first, descending), j = first - i;
        for (std::int64_t d = first; d < last; ++d) {
            const bool take_a = j >= lb || (i < la && before(Item<T>{ak[i], ai[i]}, Item<T>{bk[j], bi[j]}, descending));
            out_keys[out_base + d] = take_a ? ak[i] : bk[j];
            out_index[out_base + d] = take_a ? ai[i] : bi[j];
            if (take_a) ++i;
            else ++j;
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

// The first k of each row of `in` in sort order into values/indices (rows of k).
template <class T>
void sort_rows(const TensorArg& values, const TensorArg& indices, const TensorArg& in, std::int64_t k, bool descending,
               Allocator& allocator) {
    const std::int64_t rows = in.sizes[0], n = in.sizes[1];
    const std::int64_t tile = tile_size(n), tiles = (n + tile - 1) / tile;
    const unsigned threads = static_cast<unsigned>(tile / 2 < 32 ? 32 : tile / 2);
    const std::size_t shared = sizeof(Item<T>) * static_cast<std::size_t>(tile);
    T* out_keys = values.ptr<T>();
    std::int64_t* out_index = indices.ptr<std::int64_t>();
    if (tiles == 1) {
        launch(sort_tiles_kernel<T>, grid_for(rows, 1), threads, shared, current_stream(), in.ptr<const T>(), rows, n,
               tile, k, descending, out_keys, out_index, k, tile);
        return;
    }
    // Two buffers of rows x n items, the passes going back and forth between them.
    const std::size_t items = static_cast<std::size_t>(rows * n);
    const Scratch keys(allocator, 2 * items * sizeof(T)), index(allocator, 2 * items * sizeof(std::int64_t));
    T* key_buf[2] = {keys.as<T>(), keys.as<T>() + items};
    std::int64_t* index_buf[2] = {index.as<std::int64_t>(), index.as<std::int64_t>() + items};
    launch(sort_tiles_kernel<T>, grid_for(rows * tiles, 1), threads, shared, current_stream(), in.ptr<const T>(), rows,
           n, tile, k, descending, key_buf[0], index_buf[0], n, tile);
    int from = 0;
    for (std::int64_t run = tile; run < n; run *= 2) {
        const std::int64_t runs = (n + run - 1) / run, merges = (runs + 1) / 2;
        const bool last = merges == 1;
        launch(merge_runs_kernel<T>, grid_for(rows * merges, 1), threads_for(std::min(k, 2 * run)), 0,
               current_stream(), static_cast<const T*>(key_buf[from]), static_cast<const std::int64_t*>(index_buf[from]),
               rows, n, run, k, descending, last ? out_keys : key_buf[1 - from],
               last ? out_index : index_buf[1 - from], last ? k : n);
        from = 1 - from;
    }
}

void sort_rows(const TensorArg& values, const TensorArg& indices, const TensorArg& in, std::int64_t k, bool descending,
               const char* op, Allocator& allocator) {
    const std::int64_t rows = in.sizes[0], n = in.sizes[1];
    if (rows * n == 0 || k == 0) return;
    visit_dtype(in.dtype, op, [&](auto tag) {
        using T = typename decltype(tag)::type;
        sort_rows<T>(values, indices, in, k, descending, allocator);
    });
}

}  // namespace

void CudaBackend::sort(const TensorArg& values, const TensorArg& indices, const TensorArg& in, bool descending) {
    const DeviceGuard guard(device_);
    sort_rows(values, indices, in, in.sizes[1], descending, "sort", allocator());
}

void CudaBackend::topk(const TensorArg& values, const TensorArg& indices, const TensorArg& in, std::int64_t k,
                       bool largest) {
    const DeviceGuard guard(device_);
    sort_rows(values, indices, in, k, largest, "topk", allocator());
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
