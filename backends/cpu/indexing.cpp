// CPU indexing primitives. Indices were validated by the tensor layer.
// Pure data movement (index_select, gather, scatter without accumulation) is
// done on raw words of the element's size, so one kernel serves every dtype.
// Accumulating kernels split the work so that no two threads ever write the
// same element: results are race-free and do not depend on the thread count.
#include <cstring>

#include "backends/bf16_host.h"
#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/parallel.h"

namespace peso {

namespace {

// Calls fn(TypeTag<U>{}) with an unsigned word type as wide as one element.
template <typename Fn> void visit_word(DType t, Fn&& fn) {
    switch (itemsize(t)) {
        case 1: fn(TypeTag<std::uint8_t>{}); return;
        case 2: fn(TypeTag<std::uint16_t>{}); return;
        case 4: fn(TypeTag<std::uint32_t>{}); return;
        case 8: fn(TypeTag<std::uint64_t>{}); return;
        default: throw NotImplementedError(fmt::format("cpu indexing: element size {} unsupported", itemsize(t)));
    }
}

// Element offsets of one position of an iteration space in up to three args.
struct Offsets {
    std::int64_t a = 0, b = 0, c = 0;
};

// Offsets in (a, b, c) of the `linear`-th position of `sizes` (row-major)
// over the dims in [0, nd) other than `skip_b` for b (the indexed dim of
// the tensor read or written through the index) and other than `skip_all`.
Offsets offsets_of(std::int64_t linear, const Dims& sizes, int nd, int skip_all, int skip_b, const TensorArg& a,
                   const TensorArg& b, const TensorArg& c) {
    Offsets o;
    for (int d = nd - 1; d >= 0; --d) {
        if (d == skip_all) continue;
        const std::int64_t x = linear % sizes[d];
        linear /= sizes[d];
        o.a += x * a.strides[d];
        if (d != skip_b) o.b += x * b.strides[d];
        o.c += x * c.strides[d];
    }
    return o;
}

}  // namespace

void CpuBackend::index_select(const TensorArg& out, const TensorArg& in, const TensorArg& index) {
    const std::int64_t outer = in.sizes[0], n = in.sizes[1], inner = in.sizes[2], k = index.sizes[0];
    const std::int64_t* idx = index.ptr<std::int64_t>();
    const std::int64_t rows = outer * k;
    const std::size_t elem = itemsize(in.dtype);
    // Wide rows (embedding lookups): one memcpy per row.
    if (inner * static_cast<std::int64_t>(elem) >= 64) {
        const std::size_t row_bytes = static_cast<std::size_t>(inner) * elem;
        const char* src = static_cast<const char*>(in.data);
        char* dst = static_cast<char*>(out.data);
        cpu::parallel_for(rows, std::max<std::int64_t>(1, cpu::kParallelGrain / inner), [&](std::int64_t b,
                                                                                            std::int64_t e) {
            for (std::int64_t r = b; r < e; ++r) {
                const std::int64_t o = r / k, j = r % k;
                std::memcpy(dst + r * row_bytes, src + (o * n + idx[j]) * row_bytes, row_bytes);
            }
        });
        return;
    }
    visit_word(in.dtype, [&](auto tag) {
        using U = typename decltype(tag)::type;
        const U* src = in.ptr<U>();
        U* dst = out.ptr<U>();
        cpu::parallel_for(rows, std::max<std::int64_t>(1, cpu::kParallelGrain / inner), [&](std::int64_t b,
                                                                                            std::int64_t e) {
            for (std::int64_t r = b; r < e; ++r) {
                const std::int64_t o = r / k, j = r % k;
                const U* s = src + (o * n + idx[j]) * inner;
                U* d = dst + r * inner;
                for (std::int64_t i = 0; i < inner; ++i) d[i] = s[i];
            }
        });
    });
}

namespace {

// Columns per index_add work unit: whole rows when there are enough outer
// slices to keep every thread busy, else rows split into ~4 units per thread.
std::int64_t column_block(std::int64_t outer, std::int64_t inner) {
    const std::int64_t want_units = 4 * static_cast<std::int64_t>(omp_get_max_threads());
    if (outer >= want_units) return inner;
    const std::int64_t splits = (want_units + outer - 1) / outer;
    const std::int64_t block = std::max<std::int64_t>(64, (inner + splits - 1) / splits);
    return std::min(inner, (block + 15) / 16 * 16);
}

}  // namespace

void CpuBackend::index_add(const TensorArg& self, const TensorArg& index, const TensorArg& src, Scalar alpha) {
    const std::int64_t outer = src.sizes[0], n = self.sizes[1], k = src.sizes[1], inner = src.sizes[2];
    const std::int64_t* idx = index.ptr<std::int64_t>();
    // Work units are (outer slice, block of columns): every unit walks all k
    // indices, so repeated indices are summed in index order by one thread.
    const std::int64_t block = column_block(outer, inner);
    const std::int64_t blocks = (inner + block - 1) / block;
    const std::int64_t grain = std::max<std::int64_t>(1, cpu::kParallelGrain / std::max<std::int64_t>(1, k * block));
    visit_dtype_with_bf16(self.dtype, "index_add", [&](auto tag) {  // bf16: summed in float, rounded once
        using T = typename decltype(tag)::type;
        const bf16::compute_t<T> a = alpha.to<bf16::compute_t<T>>();
        cpu::parallel_for(outer * blocks, grain, [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t u = begin; u < end; ++u) {
                const std::int64_t o = u / blocks, c0 = (u % blocks) * block;
                const std::int64_t len = std::min(block, inner - c0);
                for (std::int64_t j = 0; j < k; ++j) {
                    T* __restrict d = self.ptr<T>() + (o * n + idx[j]) * inner + c0;
                    const T* __restrict v = src.ptr<T>() + (o * k + j) * inner + c0;
#pragma omp simd
                    for (std::int64_t i = 0; i < len; ++i) d[i] = static_cast<T>(d[i] + a * v[i]);
                }
            }
        });
    });
}

void CpuBackend::gather(const TensorArg& out, const TensorArg& in, const TensorArg& index, int dim) {
    // Rows along the last dim of index; each row is one strided inner loop.
    const int nd = index.dim(), last = nd - 1;
    const std::int64_t len = index.sizes[last], rows = index.numel() / len;
    const std::int64_t os = out.strides[last], is = index.strides[last];
    const std::int64_t in_step = dim == last ? 0 : in.strides[last], in_dim_stride = in.strides[dim];
    const std::int64_t* idx = index.ptr<std::int64_t>();
    visit_word(in.dtype, [&](auto tag) {
        using U = typename decltype(tag)::type;
        const U* src = in.ptr<U>();
        U* dst = out.ptr<U>();
        cpu::parallel_for(rows, std::max<std::int64_t>(1, cpu::kParallelGrain / len), [&](std::int64_t b,
                                                                                          std::int64_t e) {
            for (std::int64_t r = b; r < e; ++r) {
                const Offsets off = offsets_of(r, index.sizes, last, -1, dim, out, in, index);
                for (std::int64_t j = 0; j < len; ++j)
                    dst[off.a + j * os] = src[off.b + j * in_step + idx[off.c + j * is] * in_dim_stride];
            }
        });
    });
}

namespace {

// Runs fn(self_ptr_offset, src_offset) for every element of index, grouped
// in lines along `dim`: elements of different lines write different elements
// of self, so lines run in parallel and each line runs in index order.
template <typename Fn>
void for_each_scatter_line(const TensorArg& self, const TensorArg& index, const TensorArg& src, int dim, Fn&& fn) {
    const std::int64_t len = index.sizes[dim], lines = index.numel() / len;
    const std::int64_t is = index.strides[dim], ss = src.strides[dim], ds = self.strides[dim];
    const std::int64_t* idx = index.ptr<std::int64_t>();
    cpu::parallel_for(lines, std::max<std::int64_t>(1, cpu::kParallelGrain / len), [&](std::int64_t b,
                                                                                       std::int64_t e) {
        for (std::int64_t l = b; l < e; ++l) {
            const Offsets off = offsets_of(l, index.sizes, index.dim(), dim, dim, src, self, index);
            for (std::int64_t j = 0; j < len; ++j) fn(off.b + idx[off.c + j * is] * ds, off.a + j * ss);
        }
    });
}

}  // namespace

void CpuBackend::scatter(const TensorArg& self, const TensorArg& index, const TensorArg& src, int dim,
                         bool accumulate) {
    if (!accumulate) {
        visit_word(self.dtype, [&](auto tag) {
            using U = typename decltype(tag)::type;
            U* dst = self.ptr<U>();
            const U* s = src.ptr<U>();
            for_each_scatter_line(self, index, src, dim, [&](std::int64_t d, std::int64_t v) { dst[d] = s[v]; });
        });
        return;
    }
    visit_dtype_with_bf16(self.dtype, "scatter_add", [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* dst = self.ptr<T>();
        const T* s = src.ptr<T>();
        for_each_scatter_line(self, index, src, dim,
                              [&](std::int64_t d, std::int64_t v) { dst[d] = static_cast<T>(dst[d] + s[v]); });
    });
}

}  // namespace peso
