#include "tensor/broadcast.h"

#include <algorithm>

namespace peso {

Dims broadcast_shapes(const Dims& a, const Dims& b, const char* op) {
    const int n = std::max(a.size(), b.size());
    Dims out = Dims::filled(n, 1);
    for (int i = 0; i < n; ++i) {
        const int ia = a.size() - n + i, ib = b.size() - n + i;
        const std::int64_t sa = ia >= 0 ? a[ia] : 1, sb = ib >= 0 ? b[ib] : 1;
        PESO_CHECK(sa == sb || sa == 1 || sb == 1, ShapeError,
                   "{}: shapes {} and {} cannot be broadcast together (dim {}: {} vs {})", op, a, b, i - n, sa, sb);
        out[i] = sa == 1 ? sb : sa;
    }
    return out;
}

namespace {

// The dtype a tier (dimensioned tensors, 0-dim tensors, or scalars) ends at,
// given the dtype accumulated from the higher tiers.
DType join_tier(DType acc, DType lower) {
    return dtype_category(lower) > dtype_category(acc) ? lower : acc;
}

DType scalar_dtype(Scalar s) {
    switch (s.kind()) {
        case DType::b8: return DType::b8;
        case DType::i64: return DType::i64;
        default: return kDefaultDType;
    }
}

}  // namespace

DType result_type(const Tensor& a, const Tensor& b) {
    const bool a0 = a.dim() == 0, b0 = b.dim() == 0;
    if (a0 == b0) return promote_types(a.dtype(), b.dtype());
    const Tensor& dimmed = a0 ? b : a;
    const Tensor& zero = a0 ? a : b;
    return join_tier(dimmed.dtype(), zero.dtype());
}

DType result_type(const Tensor& a, Scalar b) {
    const DType s = scalar_dtype(b);
    if (dtype_category(s) > dtype_category(a.dtype())) return s;
    return a.dtype();
}

TensorArg broadcast_arg(const Tensor& t, const Dims& shape) {
    TensorArg arg;
    arg.data = t.data_ptr();
    arg.dtype = t.dtype();
    arg.sizes = shape;
    arg.strides = Dims::filled(shape.size(), 0);
    const int lead = shape.size() - t.dim();
    for (int i = 0; i < t.dim(); ++i) {
        const std::int64_t s = t.size(i);
        arg.strides[lead + i] = (s == 1 && shape[lead + i] != 1) ? 0 : t.stride(i);
    }
    return arg;
}

void coalesce_dims(std::span<TensorArg* const> args) {
    if (args.empty()) return;
    TensorArg& first = *args[0];
    if (first.numel() == 0) return;
    // Drop size-1 dims (their strides do not matter).
    int n = 0;
    for (int i = 0; i < first.dim(); ++i) {
        if (first.sizes[i] == 1) continue;
        for (TensorArg* a : args) {
            a->sizes[n] = a->sizes[i];
            a->strides[n] = a->strides[i];
        }
        ++n;
    }
    for (TensorArg* a : args) {
        a->sizes.resize(n);
        a->strides.resize(n);
    }
    if (n <= 1) return;
    // Merge dim i into dim i+1 (the inner one) when every arg steps through
    // dim i exactly as if the two were one dim.
    int out = n - 1;
    for (int i = n - 2; i >= 0; --i) {
        bool mergeable = true;
        for (TensorArg* a : args)
            mergeable = mergeable && a->strides[i] == a->strides[out] * a->sizes[out];
        if (mergeable) {
            for (TensorArg* a : args) a->sizes[out] *= a->sizes[i];
        } else {
            --out;
            for (TensorArg* a : args) {
                a->sizes[out] = a->sizes[i];
                a->strides[out] = a->strides[i];
            }
        }
    }
    const int kept = n - out;
    for (TensorArg* a : args) {
        for (int i = 0; i < kept; ++i) {
            a->sizes[i] = a->sizes[out + i];
            a->strides[i] = a->strides[out + i];
        }
        a->sizes.resize(kept);
        a->strides.resize(kept);
    }
}

void check_same_device(const char* op, std::initializer_list<const Tensor*> tensors) {
    const Tensor* first = nullptr;
    for (const Tensor* t : tensors) {
        if (!t->defined()) continue;
        if (!first) { first = t; continue; }
        PESO_CHECK(t->device() == first->device(), DeviceError,
                   "{}: expected all tensors on the same device, got {} and {}", op, first->device(), t->device());
    }
}

}  // namespace peso
