#include "tensor/reduce_layout.h"

#include <algorithm>
#include <array>

namespace peso {

DimMask reduction_mask(const Dims& dims, int ndim, const char* op) {
    DimMask mask;
    if (dims.empty()) {
        for (int i = 0; i < ndim; ++i) mask.set(i);
        return mask;
    }
    for (const std::int64_t d : dims) {
        const int w = wrap_dim(d, ndim, op);
        PESO_CHECK(!mask.test(w), ValueError, "{}: dim {} appears more than once in the list of dims {}", op, w, dims);
        mask.set(w);
    }
    // A 0-dim tensor accepts dim 0 / -1, which names no actual dim.
    if (ndim == 0) mask.reset();
    return mask;
}

Dims reduced_shape(const Dims& sizes, DimMask mask, bool keepdim) {
    Dims out;
    for (int i = 0; i < sizes.size(); ++i) {
        if (!mask.test(i)) out.push_back(sizes[i]);
        else if (keepdim) out.push_back(1);
    }
    return out;
}

std::int64_t reduced_numel(const Dims& sizes, DimMask mask) {
    std::int64_t n = 1;
    for (int i = 0; i < sizes.size(); ++i)
        if (mask.test(i)) n *= sizes[i];
    return n;
}

void check_nonempty_reduction(const Dims& sizes, DimMask mask, const char* op) {
    for (int i = 0; i < sizes.size(); ++i)
        PESO_CHECK(!mask.test(i) || sizes[i] != 0, IndexError,
                   "{}: cannot reduce over dim {} of size 0 (input shape {}): the operation has no identity", op, i,
                   sizes);
}

namespace {

struct DimLayout {
    std::int64_t size;
    std::int64_t in_stride;
    std::int64_t out_stride;
};

// Merges dim i into dim i+1 wherever both steps agree, for in (and out when
// `with_out`); returns the new count.
int merge_dims(std::array<DimLayout, kMaxDims>& d, int n, bool with_out) {
    if (n <= 1) return n;
    int kept = 0;
    for (int i = 0; i < n; ++i) {
        if (kept > 0) {
            DimLayout& prev = d[kept - 1];
            const bool in_ok = prev.in_stride == d[i].in_stride * d[i].size;
            const bool out_ok = !with_out || prev.out_stride == d[i].out_stride * d[i].size;
            if (in_ok && out_ok) {
                prev = {prev.size * d[i].size, d[i].in_stride, d[i].out_stride};
                continue;
            }
        }
        d[kept++] = d[i];
    }
    return kept;
}

}  // namespace

ReduceArgs reduce_args(const Tensor& out, const Tensor& x, DimMask mask, bool keep_reduced_dims) {
    std::array<DimLayout, kMaxDims> kept{}, red{};
    int nk = 0, nr = 0, j = 0;
    for (int i = 0; i < x.dim(); ++i) {
        const std::int64_t size = x.size(i);
        if (mask.test(i)) {
            if (size != 1 || keep_reduced_dims) red[nr++] = {size, x.stride(i), 0};
        } else {
            if (size != 1) kept[nk++] = {size, x.stride(i), out.stride(j)};
            ++j;
        }
    }
    // Any order of the reduced elements gives the same result (up to rounding):
    // take the one that walks memory forward.
    std::stable_sort(red.begin(), red.begin() + nr,
                     [](const DimLayout& a, const DimLayout& b) { return a.in_stride > b.in_stride; });
    nk = merge_dims(kept, nk, true);
    nr = merge_dims(red, nr, false);

    ReduceArgs args;
    args.out.data = out.numel() == 0 ? nullptr : out.data_ptr();
    args.out.dtype = out.dtype();
    args.in.data = x.numel() == 0 ? nullptr : x.data_ptr();
    args.in.dtype = x.dtype();
    for (int i = 0; i < nk; ++i) {
        args.out.sizes.push_back(kept[i].size);
        args.out.strides.push_back(kept[i].out_stride);
        args.in.sizes.push_back(kept[i].size);
        args.in.strides.push_back(kept[i].in_stride);
    }
    for (int i = 0; i < nr; ++i) {
        args.in.sizes.push_back(red[i].size);
        args.in.strides.push_back(red[i].in_stride);
    }
    return args;
}

}  // namespace peso
