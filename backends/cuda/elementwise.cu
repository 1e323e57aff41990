// Elementwise primitives: copy (converting dtypes), fill, arange, random,
// unary, binary and where. Every op is a functor over elements, run by one of
// two kernels: a vectorized one for contiguous arguments (four elements per
// thread per trip, as aligned vector loads when the pointers allow) and a
// general one that computes each argument's offset from its strides.
#include <cstdint>
#include <type_traits>
#include <utility>

#include "backends/cuda/check.h"
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/device_guard.h"
#include "backends/cuda/kernel_layout.cuh"
#include "backends/cuda/launch.h"
#include "backends/cuda/stream.h"
#include "backends/random_fn.h"
#include "backends/scalar_ops.h"

PESO_CUDA_NAMESPACE_BEGIN

namespace {

constexpr int kVec = 4;

template <class T, int V>
struct alignas(sizeof(T) * V) Vec {
    T v[V];
};

template <class Op, class Out, class... In, std::size_t... I>
__device__ __forceinline__ void store_at(const Op& op, Out* out, const std::int64_t* off, std::index_sequence<I...>,
                                         const In*... in) {
    out[off[0]] = static_cast<Out>(op(in[off[I + 1]]...));
}

template <class Op, class Out, class... In>
__global__ void map_strided(Op op, std::int64_t n, OffsetCalc<1 + sizeof...(In)> calc, Out* out, const In*... in) {
    const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
    for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
        std::int64_t off[1 + sizeof...(In)];
        calc.offsets(i, off);
        store_at(op, out, off, std::index_sequence_for<In...>{}, in...);
    }
}

template <class Op, class Out, class... In>
__device__ __forceinline__ void apply_vec(const Op& op, Vec<Out, kVec>* out, Vec<In, kVec>... in) {
    Vec<Out, kVec> r;
#pragma unroll
    for (int k = 0; k < kVec; ++k) r.v[k] = static_cast<Out>(op(in.v[k]...));
    *out = r;
}

template <class Op, class Out, class... In>
__global__ void map_contiguous(Op op, std::int64_t n, bool aligned, Out* out, const In*... in) {
    const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x * kVec;
    for (std::int64_t base = (static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) * kVec; base < n;
         base += stride) {
        if (aligned && base + kVec <= n) {
            apply_vec(op, reinterpret_cast<Vec<Out, kVec>*>(out + base),
                      *reinterpret_cast<const Vec<In, kVec>*>(in + base)...);
        } else {
            for (std::int64_t i = base; i < n && i < base + kVec; ++i) out[i] = static_cast<Out>(op(in[i]...));
        }
    }
}

// Ops whose value depends on the element's linear index (arange, random).
template <class Op, class Out>
__global__ void map_indexed(Op op, std::int64_t n, OffsetCalc<1> calc, Out* out) {
    const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
    for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
        out[calc.offset(i)] = op(i);
}

bool aligned_to(const void* p, std::size_t bytes) { return reinterpret_cast<std::uintptr_t>(p) % bytes == 0; }

template <class>
struct ArgOf {
    using type = TensorArg;
};

// Runs `op` over same-sized arguments: out[i] = op(in[i]...).
template <class Out, class... In, class Op>
void run_map(Op op, const TensorArg& out, const typename ArgOf<In>::type&... in) {
    const std::int64_t n = out.numel();
    if (n == 0) return;
    if (out.is_contiguous() && (in.is_contiguous() && ...)) {
        const bool aligned =
            aligned_to(out.data, sizeof(Out) * kVec) && (aligned_to(in.data, sizeof(In) * kVec) && ...);
        const unsigned threads = threads_for(n, kVec);
        launch(map_contiguous<Op, Out, In...>, grid_for(n, threads * kVec), threads, 0, current_stream(), op, n,
               aligned, out.ptr<Out>(), static_cast<const In*>(in.data)...);
    } else {
        const TensorArg* args[] = {&out, &in...};
        const unsigned threads = threads_for(n);
        launch(map_strided<Op, Out, In...>, grid_for(n, threads), threads, 0, current_stream(), op, n,
               make_offset_calc(args), out.ptr<Out>(), static_cast<const In*>(in.data)...);
    }
}

template <class Out, class Op>
void run_indexed(Op op, const TensorArg& out) {
    const std::int64_t n = out.numel();
    if (n == 0) return;
    const unsigned threads = threads_for(n);
    launch(map_indexed<Op, Out>, grid_for(n, threads), threads, 0, current_stream(), op, n, make_offset_calc(out),
           out.ptr<Out>());
}

template <class D, class S>
struct Convert {
    __host__ __device__ D operator()(S x) const { return static_cast<D>(x); }
};

template <class T>
struct Constant {
    T value;
    __host__ __device__ T operator()() const { return value; }
};

template <class T>
struct Arange {
    double start, step;
    __host__ __device__ T operator()(std::int64_t i) const {
        return static_cast<T>(start + static_cast<double>(i) * step);
    }
};

template <class T>
struct Random {
    RandomKind kind;
    std::uint64_t seed, offset;
    double a, b;
    __host__ __device__ T operator()(std::int64_t i) const {
        return random_value<T>(kind, seed, offset + static_cast<std::uint64_t>(i), a, b);
    }
};

template <UnaryOp OP, class T>
struct Unary {
    UnaryParams p;
    __host__ __device__ auto operator()(T x) const { return scalar_ops::unary_fn<OP, T>(x, p); }
};

template <BinaryOp OP, class T>
struct Binary {
    __host__ __device__ auto operator()(T a, T b) const { return scalar_ops::binary_fn<OP, T>(a, b); }
};

template <class T>
struct Select {
    __host__ __device__ T operator()(bool c, T a, T b) const { return c ? a : b; }
};

}  // namespace

int multiprocessors() {
    static const int count = [] {
        int device = 0, sms = 0;
        PESO_CUDA_CHECK(cudaGetDevice(&device));
        PESO_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
        return sms > 0 ? sms : 1;
    }();
    return count;
}

unsigned grid_for(std::int64_t n, std::int64_t per_block) {
    const std::int64_t blocks = (n + per_block - 1) / per_block;
    const std::int64_t cap = static_cast<std::int64_t>(multiprocessors()) * 8;
    return static_cast<unsigned>(blocks < 1 ? 1 : (blocks < cap ? blocks : cap));
}

void CudaBackend::copy(const TensorArg& dst, const TensorArg& src) {
    const DeviceGuard guard(device_);
    if (dst.numel() == 0) return;
    if (dst.dtype == src.dtype && dst.is_contiguous() && src.is_contiguous()) {
        PESO_CUDA_CHECK(cudaMemcpyAsync(dst.data, src.data, static_cast<std::size_t>(dst.numel()) * itemsize(dst.dtype),
                                        cudaMemcpyDeviceToDevice, current_stream()));
        return;
    }
    visit_dtype(dst.dtype, "copy", [&](auto dt) {
        using D = typename decltype(dt)::type;
        visit_dtype(src.dtype, "copy", [&](auto st) {
            using S = typename decltype(st)::type;
            run_map<D, S>(Convert<D, S>{}, dst, src);
        });
    });
}

void CudaBackend::copy_from_host(void* dst, const void* src, std::size_t nbytes) {
    const DeviceGuard guard(device_);
    if (nbytes == 0) return;
    // Through a pinned buffer (pinned_staging.h): queued without waiting,
    // and the caller may free `src` at once.
    staging_.copy_to_device(dst, src, nbytes, current_stream());
}

void CudaBackend::copy_to_host(void* dst, const void* src, std::size_t nbytes) {
    const DeviceGuard guard(device_);
    if (nbytes == 0) return;
    PESO_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToHost, current_stream()));
    PESO_CUDA_CHECK(cudaStreamSynchronize(current_stream()));  // the host reads it next
}

void CudaBackend::fill(const TensorArg& dst, Scalar value) {
    const DeviceGuard guard(device_);
    visit_dtype(dst.dtype, "fill", [&](auto tag) {
        using T = typename decltype(tag)::type;
        run_map<T>(Constant<T>{value.to<T>()}, dst);
    });
}

void CudaBackend::arange(const TensorArg& dst, double start, double step) {
    const DeviceGuard guard(device_);
    visit_dtype(dst.dtype, "arange", [&](auto tag) {
        using T = typename decltype(tag)::type;
        run_indexed<T>(Arange<T>{start, step}, dst);
    });
}

void CudaBackend::random(const TensorArg& dst, RandomKind kind, std::uint64_t seed, std::uint64_t offset, double a,
                         double b) {
    const DeviceGuard guard(device_);
    visit_dtype(dst.dtype, "random", [&](auto tag) {
        using T = typename decltype(tag)::type;
        run_indexed<T>(Random<T>{kind, seed, offset, a, b}, dst);
    });
}

void CudaBackend::unary(UnaryOp op, const TensorArg& out, const TensorArg& in, const UnaryParams& p) {
    const DeviceGuard guard(device_);
    visit_dtype(in.dtype, op_name(op), [&](auto tag) {
        using T = typename decltype(tag)::type;
        scalar_ops::visit_unary(op, [&](auto opc) {
            constexpr UnaryOp OP = decltype(opc)::value;
            using R = decltype(scalar_ops::unary_fn<OP, T>(T{}, p));
            using O = std::conditional_t<std::is_same_v<R, bool>, bool, T>;
            run_map<O, T>(Unary<OP, T>{p}, out, in);
        });
    });
}

void CudaBackend::binary(BinaryOp op, const TensorArg& out, const TensorArg& a, const TensorArg& b) {
    const DeviceGuard guard(device_);
    visit_dtype(a.dtype, op_name(op), [&](auto tag) {
        using T = typename decltype(tag)::type;
        scalar_ops::visit_binary(op, [&](auto opc) {
            constexpr BinaryOp OP = decltype(opc)::value;
            using O = std::conditional_t<is_comparison(OP), bool, T>;
            run_map<O, T, T>(Binary<OP, T>{}, out, a, b);
        });
    });
}

void CudaBackend::where(const TensorArg& out, const TensorArg& cond, const TensorArg& a, const TensorArg& b) {
    const DeviceGuard guard(device_);
    visit_dtype(out.dtype, "where", [&](auto tag) {
        using T = typename decltype(tag)::type;
        run_map<T, bool, T, T>(Select<T>{}, out, cond, a, b);
    });
}

PESO_CUDA_NAMESPACE_END
