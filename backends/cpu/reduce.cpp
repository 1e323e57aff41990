// CPU reductions. The tensor layer hands over in = (out's dims..., reduced
// dims...) with size-1 dims dropped and mergeable dims merged, so two drivers
// cover the layouts that matter:
//  - rows: each output's elements are walked as runs along the innermost
//    reduced dim (one unit-stride run for a sum over the last dim or over a
//    whole tensor), multi-lane and vectorized; parallel over outputs, or over
//    the reduction itself when there are fewer outputs than threads;
//  - columns: the innermost kept dim has unit stride in and out while the
//    reduced dims are outer (a sum over dim 0 of (N, C), a bias gradient):
//    whole input rows are added into a block of outputs, vectorized over the
//    columns, instead of gathering each output's elements with a stride.
#include <algorithm>
#include <cmath>
#include <memory>

#include "backends/bf16_host.h"
#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/parallel.h"
#include "backends/cpu/reducers.h"

namespace peso {

namespace {

using cpu::kParallelGrain;

// Scratch accumulators (not std::vector, which packs bools into bits).
template <typename A> using Buffer = std::unique_ptr<A[]>;
template <typename A> Buffer<A> filled_buffer(std::int64_t n, A value) {
    Buffer<A> b(new A[static_cast<std::size_t>(n)]);
    std::fill(b.get(), b.get() + n, value);
    return b;
}

struct Layout {
    const TensorArg& out;
    const TensorArg& in;
    int k;                   // kept dims (out's)
    std::int64_t n_out;      // outputs
    std::int64_t n_red;      // elements per output
    std::int64_t run;        // extent of the innermost reduced dim
    std::int64_t run_stride; // its stride

    Layout(const TensorArg& o, const TensorArg& i) : out(o), in(i), k(o.dim()), n_out(o.numel()), n_red(1) {
        for (int d = k; d < in.dim(); ++d) n_red *= in.sizes[d];
        const bool any_reduced = in.dim() > k;
        run = any_reduced ? in.sizes[in.dim() - 1] : 1;
        run_stride = any_reduced ? in.strides[in.dim() - 1] : 0;
    }

    // Offset in `a` (in or out) of kept index `idx` over the kept dims [0, ndims).
    std::int64_t kept_offset(const TensorArg& a, std::int64_t idx, int ndims) const {
        std::int64_t off = 0;
        for (int d = ndims - 1; d >= 0; --d) {
            off += (idx % in.sizes[d]) * a.strides[d];
            idx /= in.sizes[d];
        }
        return off;
    }
    std::int64_t in_offset(std::int64_t o) const { return kept_offset(in, o, k); }
    std::int64_t out_offset(std::int64_t o) const { return kept_offset(out, o, k); }

    // Offset in `in` of reduced index q over the reduced dims [k, last) (last
    // excluded: q numbers runs) or [k, in.dim()) (q numbers elements).
    std::int64_t reduced_offset(std::int64_t q, bool with_last) const {
        const int end = with_last ? in.dim() : in.dim() - 1;
        if (end - k == 1) return q * in.strides[k];
        std::int64_t off = 0;
        for (int d = end - 1; d >= k; --d) {
            off += (q % in.sizes[d]) * in.strides[d];
            q /= in.sizes[d];
        }
        return off;
    }

    // The columns driver pays off when the innermost kept dim is unit-stride in
    // both args and wide enough to vectorize over, and the reduction is strided.
    bool columns() const {
        return k >= 1 && in.dim() > k && n_red > 0 && run_stride != 1 && in.strides[k - 1] == 1 &&
               out.strides[k - 1] == 1 && in.sizes[k - 1] >= 8;
    }
    std::int64_t columns_count() const { return in.sizes[k - 1]; }
};

// Folds the elements [begin, end) (row-major over the reduced dims) of the
// output whose first input element is `base`.
template <class R, typename T>
typename R::Acc reduce_span(const R& r, const T* base, const Layout& g, std::int64_t begin, std::int64_t end) {
    typename R::Acc acc = r.init();
    for (std::int64_t pos = begin; pos < end;) {
        const std::int64_t q = pos / g.run, c = pos % g.run;
        const std::int64_t count = std::min(g.run - c, end - pos);
        acc = cpu::reduce_run(r, base + g.reduced_offset(q, false) + c * g.run_stride, g.run_stride, count, acc);
        pos += count;
    }
    return acc;
}

// Threads a reduction may split its work between: none extra when called
// from inside a parallel region (whose thread numbers our per-thread partial
// results could not index).
int team_size() { return omp_in_parallel() ? 1 : omp_get_max_threads(); }

// The same over all of an output's elements, split between the threads.
template <class R, typename T> typename R::Acc reduce_split(const R& r, const T* base, const Layout& g) {
    const int threads = team_size();
    Buffer<typename R::Acc> partial = filled_buffer(threads, r.init());
    cpu::parallel_for(g.n_red, kParallelGrain, [&](std::int64_t b, std::int64_t e) {
        auto& slot = partial[omp_get_thread_num()];
        slot = r.merge(slot, reduce_span(r, base, g, b, e));
    });
    typename R::Acc acc = r.init();
    for (int t = 0; t < threads; ++t) acc = r.merge(acc, partial[t]);
    return acc;
}

// Rows driver: calls f(o, reduce) for every output o, where reduce(reducer)
// folds output o's elements with that reducer.
template <typename T, typename F> void for_each_output(const Layout& g, F&& f) {
    if (g.n_red == 0) {  // nothing to read (in may have no storage): identities
        for (std::int64_t o = 0; o < g.n_out; ++o) f(o, [](const auto& r) { return r.init(); });
        return;
    }
    const T* in = g.in.ptr<T>();
    if (g.n_out < team_size() && g.n_red >= 2 * kParallelGrain) {
        for (std::int64_t o = 0; o < g.n_out; ++o) {
            const T* base = in + g.in_offset(o);
            f(o, [&](const auto& r) { return reduce_split(r, base, g); });
        }
        return;
    }
    const std::int64_t grain = std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(g.n_red, 1));
    cpu::parallel_for(g.n_out, grain, [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t o = b; o < e; ++o) {
            const T* base = in + g.in_offset(o);
            f(o, [&](const auto& r) { return reduce_span(r, base, g, 0, g.n_red); });
        }
    });
}

// Columns driver: folds the reduced input rows into blocks of columns,
// vectorized over the columns, and hands each finished block to
// store(out_offset, acc, width). Blocks are wide (long unit-stride reads for
// the prefetcher) but few enough to share between the threads; when there
// are fewer blocks than threads, the input rows are split instead, with a
// partial result per thread.
template <class R, typename T, typename Store>
void for_each_column_block(const R& r, const Layout& g, Store&& store) {
    using Acc = typename R::Acc;
    const int threads = team_size();
    const std::int64_t cols = g.columns_count(), outer = g.n_out / cols;
    const std::int64_t per_thread = (cols + threads - 1) / threads;
    const std::int64_t block =
        std::min(cols, std::clamp<std::int64_t>((per_thread + 15) / 16 * 16, 256, std::int64_t{1} << 16));
    const std::int64_t blocks_per_row = (cols + block - 1) / block, tasks = outer * blocks_per_row;
    const T* in = g.in.ptr<T>();
    auto fold = [&](std::int64_t t, Acc* acc, std::int64_t q_begin, std::int64_t q_end) {
        const std::int64_t ob = t / blocks_per_row, c0 = (t % blocks_per_row) * block;
        const std::int64_t w = std::min(block, cols - c0);
        const T* base = in + g.kept_offset(g.in, ob, g.k - 1) + c0;
        std::int64_t q = q_begin;
        if constexpr (std::is_same_v<R, cpu::SumReducer<T>> && cpu::kIsFloat<T>) {
            // Floating sums add 8 rows pairwise in T before touching the
            // double accumulators: 8x less accumulator traffic, 3 roundings.
            for (; q + 8 <= q_end; q += 8) {
                const T* p[8];
                for (int k = 0; k < 8; ++k) p[k] = base + g.reduced_offset(q + k, true);
#pragma omp simd
                for (std::int64_t j = 0; j < w; ++j) {
                    const cpu::Compute<T> s = ((p[0][j] + p[1][j]) + (p[2][j] + p[3][j])) +
                                ((p[4][j] + p[5][j]) + (p[6][j] + p[7][j]));
                    acc[j] += static_cast<Acc>(s);
                }
            }
        }
        for (; q < q_end; ++q) {
            const T* p = base + g.reduced_offset(q, true);
#pragma omp simd
            for (std::int64_t j = 0; j < w; ++j) acc[j] = r.step(acc[j], p[j]);
        }
    };
    auto write = [&](std::int64_t t, const Acc* acc) {
        const std::int64_t ob = t / blocks_per_row, c0 = (t % blocks_per_row) * block;
        store(g.kept_offset(g.out, ob, g.k - 1) + c0, acc, std::min(block, cols - c0));
    };
    if (tasks >= threads || g.n_red * cols < 2 * kParallelGrain) {
        const std::int64_t work = std::max<std::int64_t>(g.n_red * block, 1);
        const std::int64_t grain = std::max<std::int64_t>(1, kParallelGrain / work);
        cpu::parallel_for(tasks, grain, [&](std::int64_t b, std::int64_t e) {
            Buffer<Acc> acc = filled_buffer(block, r.init());
            for (std::int64_t t = b; t < e; ++t) {
                std::fill(acc.get(), acc.get() + block, r.init());
                fold(t, acc.get(), 0, g.n_red);
                write(t, acc.get());
            }
        });
        return;
    }
    // One partial result per thread, side by side in one buffer.
    const std::int64_t span = tasks * block;
    Buffer<Acc> partial = filled_buffer(threads * span, r.init());
    const std::int64_t grain = std::max<std::int64_t>(1, kParallelGrain / cols);
    cpu::parallel_for(g.n_red, grain, [&](std::int64_t b, std::int64_t e) {
        Acc* mine = partial.get() + omp_get_thread_num() * span;
        for (std::int64_t t = 0; t < tasks; ++t) fold(t, mine + t * block, b, e);
    });
    for (int p = 1; p < threads; ++p)
        for (std::int64_t i = 0; i < span; ++i) partial[i] = r.merge(partial[i], partial[p * span + i]);
    for (std::int64_t t = 0; t < tasks; ++t) write(t, partial.get() + t * block);
}

template <typename O, typename T, class R> void run_reduce(const R& r, const TensorArg& out, const TensorArg& in) {
    PESO_CHECK(out.dtype == dtype_v<O>, DTypeError, "cpu reduce: output dtype {} where {} was expected", out.dtype,
               dtype_v<O>);
    const Layout g(out, in);
    if (g.n_out == 0) return;
    O* o = out.ptr<O>();
    if (g.columns()) {
        for_each_column_block<R, T>(r, g, [&](std::int64_t off, const typename R::Acc* acc, std::int64_t w) {
            for (std::int64_t j = 0; j < w; ++j) o[off + j] = static_cast<O>(acc[j]);
        });
        return;
    }
    for_each_output<T>(g, [&](std::int64_t i, auto&& reduce) { o[g.out_offset(i)] = static_cast<O>(reduce(r)); });
}

}  // namespace

void CpuBackend::reduce(ReduceOp op, const TensorArg& out, const TensorArg& in) {
    visit_dtype_with_bf16(in.dtype, op_name(op), [&](auto tag) {
        using T = typename decltype(tag)::type;
        using Sum = std::conditional_t<cpu::kIsFloat<T>, T, std::int64_t>;
        switch (op) {
            case ReduceOp::sum: return run_reduce<Sum, T>(cpu::SumReducer<T>{}, out, in);
            case ReduceOp::prod: return run_reduce<Sum, T>(cpu::ProdReducer<T>{}, out, in);
            case ReduceOp::max: return run_reduce<T, T>(cpu::ExtremeReducer<T, true>{}, out, in);
            case ReduceOp::min: return run_reduce<T, T>(cpu::ExtremeReducer<T, false>{}, out, in);
            case ReduceOp::all: return run_reduce<bool, T>(cpu::LogicalReducer<T, true>{}, out, in);
            case ReduceOp::any: return run_reduce<bool, T>(cpu::LogicalReducer<T, false>{}, out, in);
        }
    });
}

void CpuBackend::reduce_var(const TensorArg& out, const TensorArg& in, double correction) {
    if (bf16::any(out, in)) {
        const bf16::Widened o(*this, out, bf16::Widened::Role::out), i(*this, in, bf16::Widened::Role::in);
        return reduce_var(o, i, correction);
    }
    visit_floating(in.dtype, "var", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const Layout g(out, in);
        if (g.n_out == 0) return;
        T* o = out.ptr<T>();
        const double n = static_cast<double>(g.n_red);
        // As PyTorch: the divisor never goes below 0 (x / 0 gives inf or NaN).
        const double divisor = std::max(n - correction, 0.0);
        // Two passes (mean, then squared deviations) with the rows driver; a
        // strided reduction pays for the gather, which is fine for var.
        for_each_output<T>(g, [&](std::int64_t i, auto&& reduce) {
            const double mean = reduce(cpu::SumReducer<T>{}) / n;
            const double m2 = reduce(cpu::SquaredDeviationReducer<T>{mean});
            o[g.out_offset(i)] = static_cast<T>(m2 / divisor);
        });
    });
}

namespace {

// x beats the current extreme `best`: strictly better, or the first NaN.
template <typename T, bool Max> bool beats(T x, T best) {
    const bool better = Max ? x > best : x < best;
    if constexpr (cpu::kIsFloat<T>) return better || (x != x && best == best);
    else return better;
}

// Index of the first extreme of a unit-stride row in one pass: each of
// kLanes lanes keeps its own extreme and where it was (a blend, so the loop
// vectorizes), then the lanes are combined, ties going to the lower index.
template <typename T, bool Max> std::int64_t extreme_index_contiguous(const T* p, std::int64_t n) {
    constexpr int kLanes = 32;
    std::int64_t best_at = 0, i = 0;
    if (n >= 2 * kLanes) {
        T best[kLanes];
        std::int64_t at[kLanes];
        for (int l = 0; l < kLanes; ++l) {
            best[l] = p[l];
            at[l] = l;
        }
        for (i = kLanes; i + kLanes <= n; i += kLanes) {
#pragma omp simd
            for (int l = 0; l < kLanes; ++l) {
                const bool take = beats<T, Max>(p[i + l], best[l]);
                best[l] = take ? p[i + l] : best[l];
                at[l] = take ? i + l : at[l];
            }
        }
        int lane = 0;
        for (int l = 1; l < kLanes; ++l) {
            const bool tie = !beats<T, Max>(best[l], best[lane]) && !beats<T, Max>(best[lane], best[l]);
            if (beats<T, Max>(best[l], best[lane]) || (tie && at[l] < at[lane])) lane = l;
        }
        best_at = at[lane];
    }
    // The tail's indices are above every lane's, so only a strict win counts.
    for (; i < n; ++i)
        if (beats<T, Max>(p[i], p[best_at])) best_at = i;
    return best_at;
}

// Index of the first extreme of a row (NaN counts as the extreme).
template <typename T, bool Max> std::int64_t extreme_index(const T* p, std::int64_t stride, std::int64_t n) {
    if (stride == 1) return extreme_index_contiguous<T, Max>(p, n);
    std::int64_t best = 0;
    for (std::int64_t i = 1; i < n; ++i)
        if (beats<T, Max>(p[i * stride], p[best * stride])) best = i;
    return best;
}

}  // namespace

void CpuBackend::reduce_with_index(ReduceOp op, const TensorArg& values, const TensorArg& indices,
                                   const TensorArg& in) {
    visit_dtype_with_bf16(in.dtype, op_name(op), [&](auto tag) {
        using T = typename decltype(tag)::type;
        const Layout g(values, in);
        const std::int64_t n = g.run, stride = g.run_stride;
        PESO_CHECK(n > 0, IndexError, "cpu {}: empty reduction", op_name(op));
        T* v = values.ptr<T>();
        std::int64_t* idx = indices.ptr<std::int64_t>();
        const std::int64_t grain = std::max<std::int64_t>(1, kParallelGrain / n);
        cpu::parallel_for(g.n_out, grain, [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t o = b; o < e; ++o) {
                const T* p = in.ptr<T>() + g.in_offset(o);
                const std::int64_t i = op == ReduceOp::max ? extreme_index<T, true>(p, stride, n)
                                                           : extreme_index<T, false>(p, stride, n);
                v[g.kept_offset(values, o, g.k)] = p[i * stride];
                idx[g.kept_offset(indices, o, g.k)] = i;
            }
        });
    });
}

}  // namespace peso
