// index_select, index_add, gather and scatter: one thread per element moved.
// Accumulating writes go through atomics; scatter's plain writes keep the
// reference's "last write wins" by letting only the last of the index
// elements that hit one location write it.
#include <cstdint>
#include <type_traits>

#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/device_guard.h"
#include "backends/cuda/kernel_layout.cuh"
#include "backends/cuda/launch.h"
#include "backends/cuda/stream.h"

PESO_CUDA_NAMESPACE_BEGIN

namespace {

// A 3-D argument (outer, rows, inner) with strides.
struct Arg3 {
    std::int64_t s0, s1, s2;
};
Arg3 arg3(const TensorArg& a) { return {a.strides[0], a.strides[1], a.strides[2]}; }

// dst += v. Atomic for the types CUDA has atomics for; bools (whose sum is
// an or) only ever store true, which racing threads may do in any order.
template <class T>
__device__ __forceinline__ void accumulate(T* dst, T v) {
    if constexpr (std::is_same_v<T, bool>) {
        if (v) *dst = true;
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
        atomicAdd(reinterpret_cast<unsigned long long*>(dst), static_cast<unsigned long long>(v));  // two's complement
    } else if constexpr (std::is_same_v<T, std::int32_t>) {
        atomicAdd(reinterpret_cast<int*>(dst), static_cast<int>(v));
    } else {
        atomicAdd(dst, v);
    }
}

// Index values are checked by the front-end on the device (Backend::
// record_check) while these kernels run, so each one also skips, never
// follows, an index outside [0, n): the failure is reported at the next copy
// to the host, and no kernel reads or writes out of bounds meanwhile.
__device__ __forceinline__ bool in_range(std::int64_t i, std::int64_t n) { return i >= 0 && i < n; }

template <class T>
__global__ void index_select_kernel(const T* in, Arg3 in_s, std::int64_t n, const std::int64_t* index,
                                    std::int64_t index_stride, T* out, Arg3 out_s, std::int64_t k, std::int64_t inner,
                                    std::int64_t total) {
    const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
    for (std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
        const std::int64_t i = e % inner, j = (e / inner) % k, o = e / inner / k;
        const std::int64_t row = index[j * index_stride];
        out[o * out_s.s0 + j * out_s.s1 + i * out_s.s2] = in_range(row, n) ? in[o * in_s.s0 + row * in_s.s1 + i * in_s.s2] : T{};
    }
}

template <class T, class W>
__global__ void index_add_kernel(T* self, Arg3 self_s, std::int64_t n, const std::int64_t* index, std::int64_t index_stride,
                                 const T* src, Arg3 src_s, W alpha, std::int64_t k, std::int64_t inner,
                                 std::int64_t total) {
    const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
    for (std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
        const std::int64_t i = e % inner, j = (e / inner) % k, o = e / inner / k;
        const std::int64_t row = index[j * index_stride];
        if (!in_range(row, n)) continue;
        const T v = static_cast<T>(alpha * static_cast<W>(src[o * src_s.s0 + j * src_s.s1 + i * src_s.s2]));
        accumulate(self + o * self_s.s0 + row * self_s.s1 + i * self_s.s2, v);
    }
}

// Shared by gather and scatter: offsets over index's sizes for (index, other,
// dst) plus where `dim` sits, so that a thread can swap its coordinate along
// `dim` for the index value.
struct DimInfo {
    int dim;
    std::int64_t size;         // index.sizes[dim]
    std::int64_t inner;        // product of index.sizes after dim
    std::int64_t target_stride;  // the indexed argument's stride along dim
    std::int64_t index_stride;   // index's stride along dim
    std::int64_t target_size;    // the indexed argument's size along dim: indices lie in [0, target_size)
};

template <class T>
__global__ void gather_kernel(OffsetCalc<3> calc, DimInfo info, const std::int64_t* index, T* out, const T* in,
                              std::int64_t total) {
    const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
    for (std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
        std::int64_t off[3];  // index, out, in
        calc.offsets(e, off);
        const std::int64_t c = (e / info.inner) % info.size;
        const std::int64_t target = index[off[0]];
        out[off[1]] = in_range(target, info.target_size) ? in[off[2] + (target - c) * info.target_stride] : T{};
    }
}

template <class T>
__global__ void scatter_kernel(OffsetCalc<3> calc, DimInfo info, const std::int64_t* index, const T* src, T* self,
                               bool accumulate_values, std::int64_t total) {
    const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
    for (std::int64_t e = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
        std::int64_t off[3];  // index, src, self
        calc.offsets(e, off);
        const std::int64_t c = (e / info.inner) % info.size;
        const std::int64_t target = index[off[0]];
        if (!in_range(target, info.target_size)) continue;
        T* dst = self + off[2] + (target - c) * info.target_stride;
        if (accumulate_values) {
            accumulate(dst, src[off[1]]);
            continue;
        }
        // Only index elements differing in `dim` can hit the same location; the
        // last of them in row-major order writes.
        bool last = true;
        for (std::int64_t c2 = c + 1; c2 < info.size && last; ++c2)
            last = index[off[0] + (c2 - c) * info.index_stride] != target;
        if (last) *dst = src[off[1]];
    }
}

DimInfo dim_info(const TensorArg& index, const TensorArg& target, int dim) {
    std::int64_t inner = 1;
    for (int d = dim + 1; d < index.dim(); ++d) inner *= index.sizes[d];
    return {dim, index.sizes[dim], inner, target.strides[dim], index.strides[dim], target.sizes[dim]};
}

}  // namespace

void CudaBackend::index_select(const TensorArg& out, const TensorArg& in, const TensorArg& index) {
    const DeviceGuard guard(device_);
    const std::int64_t total = out.numel();
    if (total == 0) return;
    visit_dtype(in.dtype, "index_select", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const unsigned threads = threads_for(total);
        launch(index_select_kernel<T>, grid_for(total, threads), threads, 0, current_stream(), in.ptr<const T>(),
               arg3(in), in.sizes[1], index.ptr<const std::int64_t>(), index.strides[0], out.ptr<T>(), arg3(out), index.sizes[0],
               in.sizes[2], total);
    });
}

void CudaBackend::index_add(const TensorArg& self, const TensorArg& index, const TensorArg& src, Scalar alpha) {
    const DeviceGuard guard(device_);
    const std::int64_t total = src.numel();
    if (total == 0) return;
    visit_dtype(self.dtype, "index_add", [&](auto tag) {
        using T = typename decltype(tag)::type;
        // alpha * src in T for floats, in int64 for integers (then narrowed), as bools for bools.
        using Int = std::conditional_t<std::is_same_v<T, bool>, bool, std::int64_t>;
        using W = std::conditional_t<std::is_floating_point_v<T>, T, Int>;
        const unsigned threads = threads_for(total);
        launch(index_add_kernel<T, W>, grid_for(total, threads), threads, 0, current_stream(), self.ptr<T>(),
               arg3(self), self.sizes[1], index.ptr<const std::int64_t>(), index.strides[0], src.ptr<const T>(), arg3(src),
               alpha.to<W>(), index.sizes[0], src.sizes[2], total);
    });
}

void CudaBackend::gather(const TensorArg& out, const TensorArg& in, const TensorArg& index, int dim) {
    const DeviceGuard guard(device_);
    const std::int64_t total = index.numel();
    if (total == 0) return;
    const TensorArg* args[] = {&index, &out, &in};
    visit_dtype(in.dtype, "gather", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const unsigned threads = threads_for(total);
        launch(gather_kernel<T>, grid_for(total, threads), threads, 0, current_stream(), make_offset_calc(args),
               dim_info(index, in, dim), index.ptr<const std::int64_t>(), out.ptr<T>(), in.ptr<const T>(), total);
    });
}

void CudaBackend::scatter(const TensorArg& self, const TensorArg& index, const TensorArg& src, int dim,
                          bool accumulate) {
    const DeviceGuard guard(device_);
    const std::int64_t total = index.numel();
    if (total == 0) return;
    const TensorArg* args[] = {&index, &src, &self};
    visit_dtype(self.dtype, "scatter", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const unsigned threads = threads_for(total);
        launch(scatter_kernel<T>, grid_for(total, threads), threads, 0, current_stream(), make_offset_calc(args),
               dim_info(index, self, dim), index.ptr<const std::int64_t>(), src.ptr<const T>(), self.ptr<T>(),
               accumulate, total);
    });
}

PESO_CUDA_NAMESPACE_END
