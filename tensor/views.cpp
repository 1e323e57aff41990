// View ops: new sizes/strides/offset over the same storage, never a copy
// (reshape and flatten copy only when no view can express the result).
#include <algorithm>
#include <numeric>

#include "tensor/native.h"

namespace peso::native {

namespace {

Tensor make_view(const Tensor& t, const Dims& sizes, const Dims& strides, std::int64_t offset) {
    auto impl = std::make_shared<TensorImpl>();
    impl->storage = t.impl().storage;
    impl->dtype = t.dtype();
    impl->sizes = sizes;
    impl->strides = strides;
    impl->offset = offset;
    return Tensor(std::move(impl));
}

// Resolves one -1 in `shape` so that it holds `numel` elements.
Dims infer_shape(const Dims& shape, std::int64_t numel, const char* op, const Dims& from) {
    Dims out = shape;
    int infer = -1;
    std::int64_t known = 1;
    for (int i = 0; i < out.size(); ++i) {
        if (out[i] == -1) {
            PESO_CHECK(infer < 0, ShapeError, "{}: only one dim can be -1 in shape {}", op, shape);
            infer = i;
        } else {
            PESO_CHECK(out[i] >= 0, ShapeError, "{}: invalid size {} in shape {}", op, out[i], shape);
            known = checked_mul(known, out[i], op);
        }
    }
    if (infer >= 0) {
        PESO_CHECK(known != 0 && numel % known == 0, ShapeError, "{}: shape {} is invalid for input of shape {}", op,
                   shape, from);
        out[infer] = numel / known;
    }
    PESO_CHECK(out.product() == numel, ShapeError, "{}: shape {} is invalid for input of shape {} ({} elements)", op,
               shape, from, numel);
    return out;
}

// Strides that let `t` be viewed with `shape` without a copy, if they exist
// (the algorithm of NumPy's _attempt_nocopy_reshape: match groups of dims).
std::optional<Dims> view_strides(const Tensor& t, const Dims& shape) {
    const Dims& old_sizes = t.sizes();
    const Dims& old_strides = t.strides();
    Dims strides = Dims::filled(shape.size(), 1);
    if (t.numel() == 0) return contiguous_strides(shape);
    // Work on old dims without size-1 entries.
    Dims os, ost;
    for (int i = 0; i < old_sizes.size(); ++i)
        if (old_sizes[i] != 1) { os.push_back(old_sizes[i]); ost.push_back(old_strides[i]); }
    int oi = 0, ni = 0;
    const int on = os.size(), nn = shape.size();
    while (ni < nn && oi < on) {
        if (shape[ni] == 1) { ++ni; continue; }
        int oj = oi + 1, nj = ni + 1;
        std::int64_t np = shape[ni], op = os[oi];
        while (np != op) {
            if (np < op) np *= shape[nj++];
            else op *= os[oj++];
        }
        // Old dims [oi, oj) must be contiguous with each other.
        for (int k = oi; k < oj - 1; ++k)
            if (ost[k] != ost[k + 1] * os[k + 1]) return std::nullopt;
        // Assign new strides from the innermost.
        strides[nj - 1] = ost[oj - 1];
        for (int k = nj - 2; k >= ni; --k) strides[k] = strides[k + 1] * shape[k + 1];
        ni = nj;
        oi = oj;
    }
    for (int k = 0; k < nn; ++k)
        if (shape[k] == 1) strides[k] = (k + 1 < nn) ? strides[k + 1] * shape[k + 1] : 1;
    return strides;
}

}  // namespace

Tensor as_strided(const Tensor& t, const Dims& sizes, const Dims& strides, std::optional<std::int64_t> offset) {
    PESO_CHECK(sizes.size() == strides.size(), ShapeError, "as_strided: sizes {} and strides {} differ in length",
               sizes, strides);
    const std::int64_t off = offset.value_or(t.storage_offset());
    std::int64_t last = off;
    for (int i = 0; i < sizes.size(); ++i) {
        PESO_CHECK(sizes[i] >= 0 && strides[i] >= 0, ShapeError, "as_strided: negative size or stride in {} / {}",
                   sizes, strides);
        if (sizes[i] == 0) last = -1;  // an empty view reaches no element, wherever it starts
        if (last >= off) last = checked_add(last, checked_mul(sizes[i] - 1, strides[i], "as_strided"), "as_strided");
    }
    const auto capacity = static_cast<std::int64_t>(t.impl().storage->nbytes() / t.element_size());
    PESO_CHECK(off >= 0 && last < capacity, IndexError,
               "as_strided: sizes {} strides {} offset {} reach element {} of a storage of {} elements", sizes,
               strides, off, last, capacity);
    return make_view(t, sizes, strides, off);
}

Tensor view(const Tensor& t, const Dims& shape) {
    const Dims sizes = infer_shape(shape, t.numel(), "view", t.sizes());
    auto strides = view_strides(t, sizes);
    PESO_CHECK(strides.has_value(), ShapeError,
               "view: shape {} is incompatible with the strides {} of input shape {}; use reshape (which copies)",
               sizes, t.strides(), t.sizes());
    return make_view(t, sizes, *strides, t.storage_offset());
}

Tensor reshape(const Tensor& t, const Dims& shape) {
    const Dims sizes = infer_shape(shape, t.numel(), "reshape", t.sizes());
    if (auto strides = view_strides(t, sizes)) return make_view(t, sizes, *strides, t.storage_offset());
    return view(contiguous(t), sizes);
}

Tensor permute(const Tensor& t, const Dims& order) {
    PESO_CHECK(order.size() == t.dim(), ShapeError, "permute: order {} has {} entries for a tensor of {} dims", order,
               order.size(), t.dim());
    Dims sizes, strides;
    std::array<bool, kMaxDims> seen{};
    for (int i = 0; i < order.size(); ++i) {
        const int d = wrap_dim(order[i], t.dim(), "permute");
        PESO_CHECK(!seen[d], ShapeError, "permute: dim {} repeated in order {}", d, order);
        seen[d] = true;
        sizes.push_back(t.size(d));
        strides.push_back(t.stride(d));
    }
    return make_view(t, sizes, strides, t.storage_offset());
}

Tensor transpose(const Tensor& t, std::int64_t d0, std::int64_t d1) {
    const int a = wrap_dim(d0, t.dim(), "transpose"), b = wrap_dim(d1, t.dim(), "transpose");
    Dims sizes = t.sizes(), strides = t.strides();
    if (t.dim() > 0) {  // a 0-d tensor's dims 0 and -1 name itself: a view of the same shape
        std::swap(sizes[a], sizes[b]);
        std::swap(strides[a], strides[b]);
    }
    return make_view(t, sizes, strides, t.storage_offset());
}

Tensor slice(const Tensor& t, std::int64_t dim, std::optional<std::int64_t> start, std::optional<std::int64_t> end,
             std::int64_t step) {
    PESO_CHECK(t.dim() > 0, ShapeError, "slice: cannot slice a 0-dim tensor");
    const int d = wrap_dim(dim, t.dim(), "slice");
    PESO_CHECK(step > 0, ValueError, "slice: step must be positive, got {}", step);
    const std::int64_t n = t.size(d);
    auto clampi = [n](std::int64_t v) { return std::clamp<std::int64_t>(v < 0 ? v + n : v, 0, n); };
    const std::int64_t s = clampi(start.value_or(0));
    const std::int64_t e = std::max(s, clampi(end.value_or(n)));
    Dims sizes = t.sizes(), strides = t.strides();
    sizes[d] = e > s ? (e - s - 1) / step + 1 : 0;  // (e - s + step - 1) / step would overflow for a huge step
    if (sizes[d] > 1) strides[d] = checked_mul(t.stride(d), step, "slice: stride x step");
    return make_view(t, sizes, strides, t.storage_offset() + s * t.stride(d));
}

Tensor narrow(const Tensor& t, std::int64_t dim, std::int64_t start, std::int64_t length) {
    PESO_CHECK(t.dim() > 0, ShapeError, "narrow: cannot narrow a 0-dim tensor");
    const int d = wrap_dim(dim, t.dim(), "narrow");
    const std::int64_t n = t.size(d);
    if (start < 0) start += n;
    PESO_CHECK(start >= 0 && length >= 0 && length <= n - start, IndexError,
               "narrow: start {} + length {} exceeds size {} of dim {} (shape {})", start, length, n, d, t.sizes());
    Dims sizes = t.sizes();
    sizes[d] = length;
    return make_view(t, sizes, t.strides(), t.storage_offset() + start * t.stride(d));
}

Tensor select(const Tensor& t, std::int64_t dim, std::int64_t index) {
    PESO_CHECK(t.dim() > 0, ShapeError, "select: cannot index a 0-dim tensor");
    const int d = wrap_dim(dim, t.dim(), "select");
    const std::int64_t n = t.size(d);
    PESO_CHECK(index >= -n && index < n, IndexError, "select: index {} out of range for dim {} of size {} (shape {})",
               index, d, n, t.sizes());
    if (index < 0) index += n;
    Dims sizes = t.sizes(), strides = t.strides();
    sizes.erase(d);
    strides.erase(d);
    return make_view(t, sizes, strides, t.storage_offset() + index * t.stride(d));
}

Tensor expand(const Tensor& t, const Dims& shape) {
    PESO_CHECK(shape.size() >= t.dim(), ShapeError, "expand: target shape {} has fewer dims than input shape {}",
               shape, t.sizes());
    const int lead = shape.size() - t.dim();
    Dims sizes = shape, strides = Dims::filled(shape.size(), 0);
    for (int i = 0; i < shape.size(); ++i) {
        if (i < lead) {
            PESO_CHECK(shape[i] >= 0, ShapeError, "expand: size -1 not allowed in new leading dim {} of {}", i, shape);
            continue;
        }
        const std::int64_t have = t.size(i - lead);
        const std::int64_t want = shape[i] == -1 ? have : shape[i];
        PESO_CHECK(have == want || have == 1, ShapeError,
                   "expand: cannot expand shape {} to {} (dim {}: {} to {})", t.sizes(), shape, i, have, want);
        sizes[i] = want;
        strides[i] = have == want ? t.stride(i - lead) : 0;
    }
    checked_numel(sizes, "expand");  // a view whose element count overflows would break every loop over it
    return make_view(t, sizes, strides, t.storage_offset());
}

Tensor squeeze(const Tensor& t) {
    Dims sizes, strides;
    for (int i = 0; i < t.dim(); ++i)
        if (t.size(i) != 1) { sizes.push_back(t.size(i)); strides.push_back(t.stride(i)); }
    return make_view(t, sizes, strides, t.storage_offset());
}

Tensor squeeze(const Tensor& t, std::int64_t dim) {
    // A view even where nothing is squeezed (a 0-d tensor, a dim of size
    // other than 1), as for every view op: never t itself, which autograd
    // would then record as a view of itself.
    const int d = wrap_dim(dim, t.dim(), "squeeze");
    if (t.dim() == 0 || t.size(d) != 1) return make_view(t, t.sizes(), t.strides(), t.storage_offset());
    Dims sizes = t.sizes(), strides = t.strides();
    sizes.erase(d);
    strides.erase(d);
    return make_view(t, sizes, strides, t.storage_offset());
}

Tensor unsqueeze(const Tensor& t, std::int64_t dim) {
    const int d = wrap_dim(dim, t.dim() + 1, "unsqueeze");
    Dims sizes = t.sizes(), strides = t.strides();
    const std::int64_t s = d < t.dim() ? t.stride(d) * t.size(d) : 1;
    sizes.insert(d, 1);
    strides.insert(d, s);
    return make_view(t, sizes, strides, t.storage_offset());
}

Tensor flatten(const Tensor& t, std::int64_t start_dim, std::int64_t end_dim) {
    if (t.dim() == 0) return reshape(t, {1});
    const int s = wrap_dim(start_dim, t.dim(), "flatten"), e = wrap_dim(end_dim, t.dim(), "flatten");
    PESO_CHECK(s <= e, ShapeError, "flatten: start_dim {} comes after end_dim {}", s, e);
    Dims shape;
    for (int i = 0; i < s; ++i) shape.push_back(t.size(i));
    std::int64_t p = 1;
    for (int i = s; i <= e; ++i) p *= t.size(i);
    shape.push_back(p);
    for (int i = e + 1; i < t.dim(); ++i) shape.push_back(t.size(i));
    return reshape(t, shape);
}

Tensor unflatten(const Tensor& t, std::int64_t dim, const Dims& sizes) {
    const int d = wrap_dim(dim, t.dim(), "unflatten");
    const Dims inner = infer_shape(sizes, t.size(d), "unflatten", t.sizes());
    Dims shape;
    for (int i = 0; i < d; ++i) shape.push_back(t.size(i));
    for (std::int64_t s : inner) shape.push_back(s);
    for (int i = d + 1; i < t.dim(); ++i) shape.push_back(t.size(i));
    return view(t, shape);
}

Tensor diagonal(const Tensor& t, std::int64_t offset, std::int64_t d0, std::int64_t d1) {
    const int a = wrap_dim(d0, t.dim(), "diagonal"), b = wrap_dim(d1, t.dim(), "diagonal");
    PESO_CHECK(a != b, ShapeError, "diagonal: dims must differ, got {} and {}", a, b);
    std::int64_t start = t.storage_offset(), len = 0;
    if (offset >= 0) {
        len = std::max<std::int64_t>(0, std::min(t.size(a), t.size(b) - offset));
        start += offset * t.stride(b);
    } else {
        len = std::max<std::int64_t>(0, std::min(t.size(a) + offset, t.size(b)));
        start -= offset * t.stride(a);
    }
    Dims sizes, strides;
    for (int i = 0; i < t.dim(); ++i)
        if (i != a && i != b) { sizes.push_back(t.size(i)); strides.push_back(t.stride(i)); }
    sizes.push_back(len);
    strides.push_back(t.stride(a) + t.stride(b));
    return make_view(t, sizes, strides, len == 0 ? t.storage_offset() : start);
}

}  // namespace peso::native
