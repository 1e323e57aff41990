// Reductions: one block per output element (grid-stride over outputs). The
// block's threads stride over the output's reduced elements — in's row-major
// elements [o * n, (o + 1) * n), addressed through in's strides — and then
// combine their partial results with warp shuffles and shared memory. Short
// reductions (32 elements or fewer) take a thread per output instead.
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "backends/cuda/block_reduce.cuh"
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/device_guard.h"
#include "backends/cuda/kernel_layout.cuh"
#include "backends/cuda/launch.h"
#include "backends/cuda/stream.h"

PESO_CUDA_NAMESPACE_BEGIN

namespace {

template <class T>
__host__ __device__ bool is_nan(T x) {
    if constexpr (std::is_floating_point_v<T>) return x != x;
    else return false;
}

struct Add {
    template <class T>
    __device__ T operator()(T a, T b) const { return a + b; }
};
struct Multiply {
    template <class T>
    __device__ T operator()(T a, T b) const { return a * b; }
};
struct And {
    __device__ int operator()(int a, int b) const { return a & b; }
};
struct Or {
    __device__ int operator()(int a, int b) const { return a | b; }
};
// max/min where NaN wins (and stays), as the reference's.
template <bool Max>
struct Extreme {
    template <class T>
    __device__ T operator()(T a, T b) const {
        if (is_nan(a)) return a;
        if (is_nan(b)) return b;
        return (Max ? b > a : b < a) ? b : a;
    }
};

// How an input element enters the accumulator.
template <class Acc>
struct Cast {
    template <class T>
    __device__ Acc operator()(T x) const { return static_cast<Acc>(x); }
};
struct NonZero {
    template <class T>
    __device__ int operator()(T x) const { return x != T(0) ? 1 : 0; }
};

// `init` seeds every thread when `has_init` (sum, prod, all, any); otherwise
// (max, min) a thread starts from its first element and threads without one
// stay out of the combination.
template <class T, class Acc, class Out, class Load, class Combine>
__global__ void reduce_kernel(Load load, Combine combine, Acc init, bool has_init, OffsetCalc<1> in_calc,
                              OffsetCalc<1> out_calc, const T* in, Out* out, std::int64_t n_out, std::int64_t n) {
    PESO_SHARED(Acc[32], scratch);
    const unsigned valid = has_init ? blockDim.x : static_cast<unsigned>(n < blockDim.x ? n : blockDim.x);
    for (std::int64_t o = blockIdx.x; o < n_out; o += gridDim.x) {
        Acc acc = init;
        for (std::int64_t r = threadIdx.x; r < n; r += blockDim.x) {
            const Acc x = load(in[in_calc.offset(o * n + r)]);
            acc = (!has_init && r == threadIdx.x) ? x : combine(acc, x);
        }
        const Acc total = block_reduce(acc, combine, scratch, valid);
        if (threadIdx.x == 0) out[out_calc.offset(o)] = static_cast<Out>(total);
    }
}

// Short reductions (n <= kSerialMax) give each output a thread instead of a
// block: a block would be mostly idle threads and shuffle steps.
constexpr std::int64_t kSerialMax = 32;

template <class T, class Acc, class Out, class Load, class Combine>
__global__ void reduce_serial_kernel(Load load, Combine combine, Acc init, bool has_init, OffsetCalc<1> in_calc,
                                     OffsetCalc<1> out_calc, const T* in, Out* out, std::int64_t n_out,
                                     std::int64_t n) {
    const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
    for (std::int64_t o = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; o < n_out; o += stride) {
        Acc acc = has_init ? init : load(in[in_calc.offset(o * n)]);
        for (std::int64_t r = has_init ? 0 : 1; r < n; ++r) acc = combine(acc, load(in[in_calc.offset(o * n + r)]));
        out[out_calc.offset(o)] = static_cast<Out>(acc);
    }
}

template <class T, class Acc, class Out, class Load, class Combine>
void run_reduce(Load load, Combine combine, Acc init, bool has_init, const TensorArg& out, const TensorArg& in,
                std::int64_t n) {
    const std::int64_t n_out = out.numel();
    if (n_out == 0) return;
    if (n <= kSerialMax) {
        const unsigned threads = threads_for(n_out);
        launch(reduce_serial_kernel<T, Acc, Out, Load, Combine>, grid_for(n_out, threads), threads, 0,
               current_stream(), load, combine, init, has_init, make_offset_calc(in), make_offset_calc(out),
               in.ptr<const T>(), out.ptr<Out>(), n_out, n);
        return;
    }
    launch(reduce_kernel<T, Acc, Out, Load, Combine>, grid_for(n_out, 1), reduce_threads(n), 0, current_stream(),
           load, combine, init, has_init, make_offset_calc(in), make_offset_calc(out), in.ptr<const T>(),
           out.ptr<Out>(), n_out, n);
}

std::int64_t reduced_count(const TensorArg& out, const TensorArg& in) {
    std::int64_t n = 1;
    for (int d = out.dim(); d < in.dim(); ++d) n *= in.sizes[d];
    return n;
}

template <class T>
__global__ void var_kernel(OffsetCalc<1> in_calc, OffsetCalc<1> out_calc, const T* in, T* out, std::int64_t n_out,
                           std::int64_t n, double correction) {
    PESO_SHARED(double[32], scratch);
    for (std::int64_t o = blockIdx.x; o < n_out; o += gridDim.x) {
        // Two passes, in double: the mean, then the squared deviations from it.
        double sum = 0;
        for (std::int64_t r = threadIdx.x; r < n; r += blockDim.x)
            sum += static_cast<double>(in[in_calc.offset(o * n + r)]);
        const double mean = block_reduce(sum, Add{}, scratch, blockDim.x) / static_cast<double>(n);
        double m2 = 0;
        for (std::int64_t r = threadIdx.x; r < n; r += blockDim.x) {
            const double dev = static_cast<double>(in[in_calc.offset(o * n + r)]) - mean;
            m2 += dev * dev;
        }
        m2 = block_reduce(m2, Add{}, scratch, blockDim.x);
        const double divisor = static_cast<double>(n) - correction;
        if (threadIdx.x == 0) out[out_calc.offset(o)] = static_cast<T>(m2 / (divisor > 0 ? divisor : 0.0));
    }
}

template <class T>
__global__ void var_serial_kernel(OffsetCalc<1> in_calc, OffsetCalc<1> out_calc, const T* in, T* out,
                                  std::int64_t n_out, std::int64_t n, double correction) {
    const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
    for (std::int64_t o = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; o < n_out; o += stride) {
        double sum = 0;
        for (std::int64_t r = 0; r < n; ++r) sum += static_cast<double>(in[in_calc.offset(o * n + r)]);
        const double mean = sum / static_cast<double>(n);
        double m2 = 0;
        for (std::int64_t r = 0; r < n; ++r) {
            const double dev = static_cast<double>(in[in_calc.offset(o * n + r)]) - mean;
            m2 += dev * dev;
        }
        const double divisor = static_cast<double>(n) - correction;
        out[out_calc.offset(o)] = static_cast<T>(m2 / (divisor > 0 ? divisor : 0.0));
    }
}

template <class T>
struct ValueIndex {
    T value;
    std::int64_t index;
};

template <class T>
__device__ __forceinline__ ValueIndex<T> shuffle_down(ValueIndex<T> v, unsigned offset) {
    return {::peso::cuda::shuffle_down(v.value, offset), ::peso::cuda::shuffle_down(v.index, offset)};
}

// The better of two candidates: NaN first, then the extreme value, then the
// smaller index (the reference's first occurrence).
template <bool Max>
struct Best {
    template <class T>
    __device__ ValueIndex<T> operator()(ValueIndex<T> a, ValueIndex<T> b) const {
        const bool an = is_nan(a.value), bn = is_nan(b.value);
        if (an || bn) {
            if (an && bn) return b.index < a.index ? b : a;
            return an ? a : b;
        }
        if (Max ? b.value > a.value : b.value < a.value) return b;
        if (b.value == a.value && b.index < a.index) return b;
        return a;
    }
};

template <class T, class S, class Combine>
__global__ void arg_reduce_kernel(Combine combine, OffsetCalc<1> in_calc, OffsetCalc<1> values_calc,
                                  OffsetCalc<1> indices_calc, const T* in, T* values, std::int64_t* indices,
                                  std::int64_t n_out, std::int64_t n) {
    PESO_SHARED(ValueIndex<S>[32], scratch);
    const unsigned valid = static_cast<unsigned>(n < blockDim.x ? n : blockDim.x);
    for (std::int64_t o = blockIdx.x; o < n_out; o += gridDim.x) {
        ValueIndex<S> best{S{}, 0};
        for (std::int64_t r = threadIdx.x; r < n; r += blockDim.x) {
            const ValueIndex<S> x{static_cast<S>(in[in_calc.offset(o * n + r)]), r};
            best = r == threadIdx.x ? x : combine(best, x);
        }
        best = block_reduce(best, combine, scratch, valid);
        if (threadIdx.x == 0) {
            values[values_calc.offset(o)] = static_cast<T>(best.value);
            indices[indices_calc.offset(o)] = best.index;
        }
    }
}

template <class T, class S, class Combine>
__global__ void arg_reduce_serial_kernel(Combine combine, OffsetCalc<1> in_calc, OffsetCalc<1> values_calc,
                                         OffsetCalc<1> indices_calc, const T* in, T* values, std::int64_t* indices,
                                         std::int64_t n_out, std::int64_t n) {
    const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
    for (std::int64_t o = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; o < n_out; o += stride) {
        ValueIndex<S> best{static_cast<S>(in[in_calc.offset(o * n)]), 0};
        for (std::int64_t r = 1; r < n; ++r)
            best = combine(best, ValueIndex<S>{static_cast<S>(in[in_calc.offset(o * n + r)]), r});
        values[values_calc.offset(o)] = static_cast<T>(best.value);
        indices[indices_calc.offset(o)] = best.index;
    }
}

// Shuffles move 4- and 8-byte values; bools travel as ints.
template <class T>
using Wide = std::conditional_t<std::is_same_v<T, bool>, int, T>;

}  // namespace

void CudaBackend::reduce(ReduceOp op, const TensorArg& out, const TensorArg& in) {
    const DeviceGuard guard(device_);
    const std::int64_t n = reduced_count(out, in);
    visit_dtype(in.dtype, op_name(op), [&](auto tag) {
        using T = typename decltype(tag)::type;
        using Sum = std::conditional_t<std::is_floating_point_v<T>, T, std::int64_t>;
        switch (op) {
            case ReduceOp::sum: return run_reduce<T, Sum, Sum>(Cast<Sum>{}, Add{}, Sum(0), true, out, in, n);
            case ReduceOp::prod: return run_reduce<T, Sum, Sum>(Cast<Sum>{}, Multiply{}, Sum(1), true, out, in, n);
            case ReduceOp::max: case ReduceOp::min:
                PESO_CHECK(n > 0 || out.numel() == 0, IndexError, "cuda {}: empty reduction", op_name(op));
                if (op == ReduceOp::max)
                    return run_reduce<T, Wide<T>, T>(Cast<Wide<T>>{}, Extreme<true>{}, Wide<T>{}, false, out, in, n);
                return run_reduce<T, Wide<T>, T>(Cast<Wide<T>>{}, Extreme<false>{}, Wide<T>{}, false, out, in, n);
            case ReduceOp::all: return run_reduce<T, int, bool>(NonZero{}, And{}, 1, true, out, in, n);
            case ReduceOp::any: return run_reduce<T, int, bool>(NonZero{}, Or{}, 0, true, out, in, n);
        }
    });
}

void CudaBackend::reduce_var(const TensorArg& out, const TensorArg& in, double correction) {
    const DeviceGuard guard(device_);
    visit_floating(in.dtype, "var", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const std::int64_t n_out = out.numel(), n = reduced_count(out, in);
        if (n_out == 0) return;
        if (n <= kSerialMax) {
            const unsigned threads = threads_for(n_out);
            launch(var_serial_kernel<T>, grid_for(n_out, threads), threads, 0, current_stream(), make_offset_calc(in),
                   make_offset_calc(out), in.ptr<const T>(), out.ptr<T>(), n_out, n, correction);
            return;
        }
        launch(var_kernel<T>, grid_for(n_out, 1), reduce_threads(n), 0, current_stream(), make_offset_calc(in),
               make_offset_calc(out), in.ptr<const T>(), out.ptr<T>(), n_out, n, correction);
    });
}

void CudaBackend::reduce_with_index(ReduceOp op, const TensorArg& values, const TensorArg& indices,
                                    const TensorArg& in) {
    const DeviceGuard guard(device_);
    visit_dtype(in.dtype, op_name(op), [&](auto tag) {
        using T = typename decltype(tag)::type;
        const std::int64_t n_out = values.numel(), n = in.sizes[in.dim() - 1];
        PESO_CHECK(n > 0 || n_out == 0, IndexError, "cuda {}: empty reduction", op_name(op));
        if (n_out == 0) return;
        auto run = [&](auto combine) {
            using Combine = decltype(combine);
            if (n <= kSerialMax) {
                const unsigned threads = threads_for(n_out);
                launch(arg_reduce_serial_kernel<T, Wide<T>, Combine>, grid_for(n_out, threads), threads, 0,
                       current_stream(), combine, make_offset_calc(in), make_offset_calc(values),
                       make_offset_calc(indices), in.ptr<const T>(), values.ptr<T>(), indices.ptr<std::int64_t>(),
                       n_out, n);
                return;
            }
            launch(arg_reduce_kernel<T, Wide<T>, Combine>, grid_for(n_out, 1), reduce_threads(n), 0, current_stream(),
                   combine, make_offset_calc(in), make_offset_calc(values), make_offset_calc(indices),
                   in.ptr<const T>(), values.ptr<T>(), indices.ptr<std::int64_t>(), n_out, n);
        };
        if (op == ReduceOp::max) run(Best<true>{});
        else run(Best<false>{});
    });
}

PESO_CUDA_NAMESPACE_END
