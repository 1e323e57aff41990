// Reductions. sum/prod/max/min/all/any pick a kernel by shape:
//  - rows (the reduced elements of an output are near each other): one block
//    per output (grid-stride over outputs); its threads stride over the
//    output's elements and combine through warp shuffles and shared memory.
//    With fewer outputs than about two per multiprocessor (a gradient norm's
//    one), each row is split among several blocks and a second launch
//    combines their partial results, so that the whole device works;
//  - columns (neighbouring outputs are neighbours in memory, the reduced
//    elements far apart: a Linear bias gradient sums a (tokens, C) matrix over
//    its rows): warps walk 32 columns at once, coalesced, rows split among
//    blocks as needed;
//  - short reductions (32 elements or fewer) take a thread per output.
// Offsets are o * so + r * sr (32-bit when they fit) when reduce_args has
// merged the kept and the reduced dims into one each, OffsetCalc otherwise.
// Float sums and products accumulate in double. var and the arg reductions
// keep one block per output.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "backends/cuda/block_reduce.cuh"
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/device_guard.h"
#include "backends/cuda/kernel_layout.cuh"
#include "backends/cuda/launch.h"
#include "backends/cuda/scratch.h"
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

// Where output o's elements are: in has out's dims and then the reduced dims,
// o indexes the former and r (0 <= r < n) the latter, row-major. reduce_args
// (tensor/reduce_layout.h) merges dims that step through memory as one, so
// usually each part is one dim and an offset is o * so + r * sr, in 32-bit
// arithmetic when every offset fits; otherwise it takes OffsetCalc's div/mod.
template <class Index>
struct AffineIn {
    Index so, sr;
    __device__ std::int64_t operator()(std::int64_t o, std::int64_t r) const {
        return static_cast<std::int64_t>(static_cast<Index>(o) * so + static_cast<Index>(r) * sr);
    }
};
struct GeneralIn {
    OffsetCalc<1> calc;
    std::int64_t n;
    __device__ std::int64_t operator()(std::int64_t o, std::int64_t r) const { return calc.offset(o * n + r); }
};
struct AffineOut {
    std::int64_t so;
    __device__ std::int64_t operator()(std::int64_t o) const { return o * so; }
};
struct GeneralOut {
    OffsetCalc<1> calc;
    __device__ std::int64_t operator()(std::int64_t o) const { return calc.offset(o); }
};

// `init` seeds every thread when `has_init` (sum, prod, all, any); otherwise
// (max, min) a thread starts from its first element and threads without one
// stay out of the combination.
//
// Rows: each output's elements are reduced by a block, or, with gridDim.y > 1
// (few outputs, long rows), by gridDim.y blocks each taking a chunk of
// `chunk` elements and writing its result to partial[o * gridDim.y + chunk
// index], which a second launch of this kernel reduces.
template <class T, class Acc, class Out, class Load, class Combine, class In, class OutAt>
__global__ void reduce_rows_kernel(Load load, Combine combine, Acc init, bool has_init, In in_at, OutAt out_at,
                                   const T* in, Out* out, Acc* partial, std::int64_t n_out, std::int64_t n,
                                   std::int64_t chunk) {
    PESO_SHARED(Acc[32], scratch);
    const std::int64_t begin = static_cast<std::int64_t>(blockIdx.y) * chunk;
    const std::int64_t end = begin + chunk < n ? begin + chunk : n;
    const std::int64_t length = end - begin;
    const unsigned valid = has_init ? blockDim.x : static_cast<unsigned>(length < blockDim.x ? length : blockDim.x);
    for (std::int64_t o = blockIdx.x; o < n_out; o += gridDim.x) {
        Acc acc = init;
        for (std::int64_t r = begin + threadIdx.x; r < end; r += blockDim.x) {
            const Acc x = load(in[in_at(o, r)]);
            acc = (!has_init && r == begin + threadIdx.x) ? x : combine(acc, x);
        }
        const Acc total = block_reduce(acc, combine, scratch, valid);
        if (threadIdx.x != 0) continue;
        if (gridDim.y > 1) partial[o * gridDim.y + blockIdx.y] = total;
        else out[out_at(o)] = static_cast<Out>(total);
    }
}

// Columns: when neighbouring outputs are neighbours in memory (so == 1) and
// the reduced elements are far apart (a bias gradient: the sum over the rows
// of a row-major matrix), a warp takes 32 neighbouring outputs and walks the
// rows together, so that every load is one coalesced transaction. A block is
// 32 outputs by kColumnRows rows; gridDim.y > 1 splits the rows further, each
// y writing partial[y * n_out + o] for a second launch to reduce.
constexpr unsigned kColumnRows = 8;

template <class T, class Acc, class Out, class Load, class Combine, class Index, class OutAt>
__global__ void reduce_columns_kernel(Load load, Combine combine, Acc init, bool has_init, AffineIn<Index> in_at,
                                      OutAt out_at, const T* in, Out* out, Acc* partial, std::int64_t n_out,
                                      std::int64_t n) {
    PESO_SHARED(Acc[kColumnRows][33], values);
    PESO_SHARED(bool[kColumnRows][32], present);
    const unsigned tx = threadIdx.x, ty = threadIdx.y;
    const std::int64_t row_step = static_cast<std::int64_t>(gridDim.y) * kColumnRows;
    for (std::int64_t base = static_cast<std::int64_t>(blockIdx.x) * 32; base < n_out;
         base += static_cast<std::int64_t>(gridDim.x) * 32) {
        const std::int64_t o = base + tx;
        Acc acc = init;
        bool any = false;
        if (o < n_out) {
            for (std::int64_t r = static_cast<std::int64_t>(blockIdx.y) * kColumnRows + ty; r < n; r += row_step) {
                const Acc x = load(in[in_at(o, r)]);
                acc = (!has_init && !any) ? x : combine(acc, x);
                any = true;
            }
        }
        __syncthreads();  // the previous trip's results have been read
        values[ty][tx] = acc;
        present[ty][tx] = any;
        __syncthreads();
        if (ty == 0 && o < n_out) {
            Acc total = values[0][tx];
            bool have = present[0][tx];
            for (unsigned k = 1; k < kColumnRows; ++k) {
                if (!present[k][tx]) continue;
                total = (!has_init && !have) ? values[k][tx] : combine(total, values[k][tx]);
                have = true;
            }
            if (gridDim.y > 1) partial[static_cast<std::int64_t>(blockIdx.y) * n_out + o] = total;
            else out[out_at(o)] = static_cast<Out>(total);
        }
    }
}

// Short reductions (n <= kSerialMax) give each output a thread instead of a
// block: a block would be mostly idle threads and shuffle steps.
constexpr std::int64_t kSerialMax = 32;

template <class T, class Acc, class Out, class Load, class Combine, class In, class OutAt>
__global__ void reduce_serial_kernel(Load load, Combine combine, Acc init, bool has_init, In in_at, OutAt out_at,
                                     const T* in, Out* out, std::int64_t n_out, std::int64_t n) {
    const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
    for (std::int64_t o = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; o < n_out; o += stride) {
        Acc acc = has_init ? init : load(in[in_at(o, 0)]);
        for (std::int64_t r = has_init ? 0 : 1; r < n; ++r) acc = combine(acc, load(in[in_at(o, r)]));
        out[out_at(o)] = static_cast<Out>(acc);
    }
}

// Blocks a launch should have to fill the device (a few per multiprocessor).
std::int64_t blocks_to_fill() { return 4 * static_cast<std::int64_t>(multiprocessors()); }

template <class A, class B>
constexpr A ceil_div(A a, B b) {
    return (a + static_cast<A>(b) - 1) / static_cast<A>(b);
}

// One reduction problem: its loads, combination and layout.
template <class T, class Acc, class Out, class Load, class Combine>
struct Reduction {
    Load load;
    Combine combine;
    Acc init;
    bool has_init;
    const T* in;
    Out* out;
    std::int64_t n_out, n;
    Allocator& allocator;

    template <class In, class OutAt>
    void rows(In in_at, OutAt out_at) const {
        if (n <= kSerialMax) {
            const unsigned threads = threads_for(n_out);
            launch(reduce_serial_kernel<T, Acc, Out, Load, Combine, In, OutAt>, grid_for(n_out, threads), threads, 0,
                   current_stream(), load, combine, init, has_init, in_at, out_at, in, out, n_out, n);
            return;
        }
        // Fewer outputs than about two per multiprocessor: split each row
        // into chunks of at least 1024 elements (4 a thread), one block each.
        std::int64_t splits = 1;
        if (n_out < 2 * static_cast<std::int64_t>(multiprocessors())) {
            splits = std::min(ceil_div(blocks_to_fill(), n_out), std::max<std::int64_t>(1, n / (4 * kThreads)));
        }
        const std::int64_t chunk = ceil_div(n, splits);
        splits = ceil_div(n, chunk);  // every chunk holds elements
        if (splits == 1) {
            launch(reduce_rows_kernel<T, Acc, Out, Load, Combine, In, OutAt>, grid_for(n_out, 1), reduce_threads(n), 0,
                   current_stream(), load, combine, init, has_init, in_at, out_at, in, out,
                   static_cast<Acc*>(nullptr), n_out, n, n);
            return;
        }
        const Scratch partial(allocator, sizeof(Acc) * static_cast<std::size_t>(n_out * splits));
        launch(reduce_rows_kernel<T, Acc, Out, Load, Combine, In, OutAt>,
               dim3(static_cast<unsigned>(n_out), static_cast<unsigned>(splits)), reduce_threads(chunk), 0,
               current_stream(), load, combine, init, has_init, in_at, out_at, in, out, partial.as<Acc>(), n_out, n,
               chunk);
        // The partial results in order, combined as the reduction combines.
        const AffineIn<std::int64_t> partials{splits, 1};
        launch(reduce_rows_kernel<Acc, Acc, Out, Cast<Acc>, Combine, AffineIn<std::int64_t>, OutAt>,
               grid_for(n_out, 1), reduce_threads(splits), 0, current_stream(), Cast<Acc>{}, combine, init, has_init,
               partials, out_at, static_cast<const Acc*>(partial.as<Acc>()), out, static_cast<Acc*>(nullptr), n_out,
               splits, splits);
    }

    template <class Index, class OutAt>
    void columns(AffineIn<Index> in_at, OutAt out_at) const {
        const std::int64_t column_blocks = ceil_div(n_out, 32);
        const unsigned gx = grid_for(column_blocks, 1);
        // Split the rows when the columns alone leave the device idle, keeping
        // at least 4 rows a thread (and so every thread some).
        const std::int64_t gy = std::clamp<std::int64_t>(ceil_div(blocks_to_fill(), column_blocks), 1,
                                                         std::max<std::int64_t>(1, n / (4 * kColumnRows)));
        const dim3 block(32, kColumnRows);
        if (gy == 1) {
            launch(reduce_columns_kernel<T, Acc, Out, Load, Combine, Index, OutAt>, gx, block, 0, current_stream(),
                   load, combine, init, has_init, in_at, out_at, in, out, static_cast<Acc*>(nullptr), n_out, n);
            return;
        }
        const Scratch partial(allocator, sizeof(Acc) * static_cast<std::size_t>(n_out * gy));
        launch(reduce_columns_kernel<T, Acc, Out, Load, Combine, Index, OutAt>, dim3(gx, static_cast<unsigned>(gy)),
               block, 0, current_stream(), load, combine, init, has_init, in_at, out_at, in, out, partial.as<Acc>(),
               n_out, n);
        // partial is a (gy, n_out) row-major matrix: its columns again.
        const AffineIn<std::int64_t> partials{1, n_out};
        launch(reduce_columns_kernel<Acc, Acc, Out, Cast<Acc>, Combine, std::int64_t, OutAt>, gx, block, 0,
               current_stream(), Cast<Acc>{}, combine, init, has_init, partials, out_at,
               static_cast<const Acc*>(partial.as<Acc>()), out, static_cast<Acc*>(nullptr), n_out, gy);
    }
};

// The largest element offset `a` reaches, plus one.
std::int64_t offset_span(const TensorArg& a) {
    std::int64_t span = 1;
    for (int d = 0; d < a.dim(); ++d) span += (a.sizes[d] - 1) * (a.strides[d] < 0 ? -a.strides[d] : a.strides[d]);
    return span;
}

template <class T, class Acc, class Out, class Load, class Combine>
void run_reduce(Load load, Combine combine, Acc init, bool has_init, const TensorArg& out, const TensorArg& in,
                std::int64_t n, Allocator& allocator) {
    const std::int64_t n_out = out.numel();
    if (n_out == 0) return;
    const Reduction<T, Acc, Out, Load, Combine> r{load, combine, init, has_init, in.ptr<const T>(),
                                                  out.ptr<Out>(), n_out, n, allocator};
    const int kept = out.dim(), reduced = in.dim() - kept;
    if (kept > 1 || reduced > 1) {
        r.rows(GeneralIn{make_offset_calc(in), n}, GeneralOut{make_offset_calc(out)});
        return;
    }
    const std::int64_t so = kept == 1 ? in.strides[0] : 0, sr = reduced == 1 ? in.strides[kept] : 0;
    const AffineOut out_at{kept == 1 ? out.strides[0] : 0};
    const bool small = offset_span(in) <= std::numeric_limits<std::int32_t>::max();
    auto run = [&](auto index) {
        using Index = decltype(index);
        const AffineIn<Index> in_at{static_cast<Index>(so), static_cast<Index>(sr)};
        if (so == 1 && sr != 1 && n_out > 1 && n > kSerialMax) r.columns(in_at, out_at);
        else r.rows(in_at, out_at);
    };
    if (small) run(std::int32_t{});
    else run(std::int64_t{});
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
        // Floating sums and products accumulate in double, as the reference's do.
        using Sum = std::conditional_t<std::is_floating_point_v<T>, double, std::int64_t>;
        using SumOut = std::conditional_t<std::is_floating_point_v<T>, T, std::int64_t>;
        Allocator& memory = allocator();
        switch (op) {
            case ReduceOp::sum:
                return run_reduce<T, Sum, SumOut>(Cast<Sum>{}, Add{}, Sum(0), true, out, in, n, memory);
            case ReduceOp::prod:
                return run_reduce<T, Sum, SumOut>(Cast<Sum>{}, Multiply{}, Sum(1), true, out, in, n, memory);
            case ReduceOp::max: case ReduceOp::min:
                PESO_CHECK(n > 0 || out.numel() == 0, IndexError, "cuda {}: empty reduction", op_name(op));
                if (op == ReduceOp::max)
                    return run_reduce<T, Wide<T>, T>(Cast<Wide<T>>{}, Extreme<true>{}, Wide<T>{}, false, out, in, n,
                                                     memory);
                return run_reduce<T, Wide<T>, T>(Cast<Wide<T>>{}, Extreme<false>{}, Wide<T>{}, false, out, in, n,
                                                 memory);
            case ReduceOp::all: return run_reduce<T, int, bool>(NonZero{}, And{}, 1, true, out, in, n, memory);
            case ReduceOp::any: return run_reduce<T, int, bool>(NonZero{}, Or{}, 0, true, out, in, n, memory);
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
