// Indexing front-ends: embedding, index_select, gather, scatter(_add),
// index_add and one_hot. Every index value is checked here, before a backend
// runs, so that backends may trust their indices and never read out of bounds.
#include <algorithm>
#include <limits>

#include "backends/registry.h"
#include "tensor/broadcast.h"
#include "tensor/device_checks.h"
#include "tensor/native.h"

namespace peso::native {

namespace {

void check_index_dtype(const Tensor& index, const char* op, bool allow_int32) {
    const bool ok = index.dtype() == DType::i64 || (allow_int32 && index.dtype() == DType::i32);
    PESO_CHECK(ok, DTypeError, "{}: index must be {}, got {}", op, allow_int32 ? "int64 or int32" : "int64",
               index.dtype());
}

struct ValueRange {
    std::int64_t min = std::numeric_limits<std::int64_t>::max();
    std::int64_t max = std::numeric_limits<std::int64_t>::min();
};

// The smallest and largest index values. They are read on the host: a device
// tensor is copied over first (a device amin/amax would also do).
ValueRange value_range(const Tensor& index) {
    ValueRange r;
    if (index.numel() == 0) return r;
    const Tensor host = contiguous(to_device(index, Device::cpu()));
    visit_dtype(host.dtype(), "index check", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const T* p = static_cast<const T*>(host.data_ptr());
        for (std::int64_t i = 0; i < host.numel(); ++i) {
            const auto v = static_cast<std::int64_t>(p[i]);
            r.min = std::min(r.min, v);
            r.max = std::max(r.max, v);
        }
    });
    return r;
}

// Throws IndexError naming the op, an offending value and the size unless
// every value of index lies in [0, size).
void check_index_values(const Tensor& index, std::int64_t size, int dim, const char* op) {
    if (index.numel() == 0) return;
    if (device_checks_values(index.device())) {
        // On a GPU: checked by a kernel queued before the op (whose kernels skip
        // bad indices), reported at the next read from the device.
        const Tensor idx = to_dtype(index, DType::i64);
        check_on_device(logical_or(lt(idx, 0), ge(idx, size)), idx, fmt::format("{}: index ", op),
                        fmt::format(" is out of bounds for dim {} with size {} (valid indices are 0..{})", dim, size,
                                    size - 1));
        return;
    }
    const ValueRange r = value_range(index);
    const std::int64_t bad = r.min < 0 ? r.min : r.max;
    PESO_CHECK(r.min >= 0 && r.max < size, IndexError,
               "{}: index {} is out of bounds for dim {} with size {} (valid indices are 0..{})", op, bad, dim, size,
               size - 1);
}

void check_defined(const char* op, std::initializer_list<const Tensor*> tensors) {
    for (const Tensor* t : tensors) PESO_CHECK(t->defined(), ValueError, "{}: undefined tensor argument", op);
}

// In-place ops write through self's strides: two elements sharing memory
// (an expanded view) would make the result depend on the visiting order.
void check_no_overlap(const Tensor& self, const char* op) {
    for (int d = 0; d < self.dim(); ++d)
        PESO_CHECK(self.stride(d) != 0 || self.size(d) <= 1, ValueError,
                   "{}: cannot write in place into a tensor whose elements share memory (shape {}, strides {}); "
                   "clone it first",
                   op, self.sizes(), self.strides());
}

Tensor at_least_1d(const Tensor& t) { return t.dim() == 0 ? unsqueeze(t, 0) : t; }

// An input that an in-place op reads while writing self must not share its
// memory (x.scatter_(0, idx, x) would read values it already overwrote).
Tensor unaliased(const Tensor& input, const Tensor& self) { return input.shares_storage(self) ? clone(input) : input; }

// A contiguous tensor seen as (outer, size(dim), inner).
TensorArg as_3d(const Tensor& t, int dim) {
    std::int64_t outer = 1, inner = 1;
    for (int d = 0; d < dim; ++d) outer *= t.size(d);
    for (int d = dim + 1; d < t.dim(); ++d) inner *= t.size(d);
    const Dims sizes{outer, t.size(dim), inner};
    return TensorArg{t.data_ptr(), t.dtype(), sizes, contiguous_strides(sizes)};
}

// The 1-D contiguous int64 index the (outer, n, inner) primitives expect.
Tensor flat_int64_index(const Tensor& index) {
    return contiguous(to_dtype(reshape(index, {index.numel()}), DType::i64));
}

// The backend call behind index_select and embedding; index values checked.
Tensor run_index_select(const Tensor& x, int dim, const Tensor& index) {
    Dims shape = x.sizes();
    shape[dim] = index.numel();
    Tensor out = empty(shape, x.options());
    if (out.numel() == 0) return out;
    const Tensor in = contiguous(x);
    const Tensor idx = flat_int64_index(index);
    backend_for(x.device()).index_select(as_3d(out, dim), as_3d(in, dim), idx.arg());
    return out;
}

// Shape checks shared by scatter and scatter_add (PyTorch's rules).
void check_scatter_args(const Tensor& self, int dim, const Tensor& index, const Tensor* src, const char* op) {
    check_index_dtype(index, op, false);
    PESO_CHECK(index.dim() == self.dim(), ShapeError,
               "{}: index must have as many dims as self, got index shape {} and self shape {}", op, index.sizes(),
               self.sizes());
    if (src) {
        PESO_CHECK(src->dtype() == self.dtype(), DTypeError, "{}: src dtype {} differs from self dtype {}", op,
                   src->dtype(), self.dtype());
        PESO_CHECK(src->dim() == self.dim(), ShapeError,
                   "{}: src must have as many dims as self, got src shape {} and self shape {}", op, src->sizes(),
                   self.sizes());
    }
    for (int d = 0; d < self.dim(); ++d) {
        PESO_CHECK(d == dim || index.size(d) <= self.size(d), ShapeError,
                   "{}: index shape {} exceeds self shape {} in dim {} (only dim {} may be larger)", op,
                   index.sizes(), self.sizes(), d, dim);
        PESO_CHECK(!src || index.size(d) <= src->size(d), ShapeError,
                   "{}: index shape {} exceeds src shape {} in dim {}", op, index.sizes(), src->sizes(), d);
    }
}

// The backend call behind scatter_ and scatter_add_; arguments already checked.
void run_scatter(Tensor& self, int dim, const Tensor& index, const TensorArg& src, bool accumulate) {
    if (index.numel() == 0) return;
    backend_for(self.device()).scatter(self.arg(), index.arg(), src, dim, accumulate);
}

// src restricted to index's extents (src may be larger in every dim).
TensorArg src_over_index(const Tensor& src, const Tensor& index) {
    TensorArg a = src.arg();
    a.sizes = index.sizes();
    return a;
}

Tensor& scatter_tensor_(Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src, bool accumulate,
                        const char* op) {
    check_defined(op, {&self, &index, &src});
    check_same_device(op, {&self, &index, &src});
    // 0-dim arguments behave as 1-element vectors.
    Tensor self1 = at_least_1d(self);
    const Tensor index1 = unaliased(at_least_1d(index), self), src1 = at_least_1d(src);
    const int d = wrap_dim(dim, self1.dim(), op);
    check_scatter_args(self1, d, index1, &src1, op);
    check_index_values(index1, self1.size(d), d, op);
    check_no_overlap(self1, op);
    self.impl().storage->bump_version();
    // Reading src while writing self is only safe when they do not alias.
    const Tensor safe_src = unaliased(src1, self);
    run_scatter(self1, d, index1, src_over_index(safe_src, index1), accumulate);
    return self;
}

Tensor& scatter_value_(Tensor& self, std::int64_t dim, const Tensor& index, Scalar value, const char* op) {
    check_defined(op, {&self, &index});
    check_same_device(op, {&self, &index});
    Tensor self1 = at_least_1d(self);
    const Tensor index1 = unaliased(at_least_1d(index), self);
    const int d = wrap_dim(dim, self1.dim(), op);
    check_scatter_args(self1, d, index1, nullptr, op);
    check_index_values(index1, self1.size(d), d, op);
    check_no_overlap(self1, op);
    self.impl().storage->bump_version();
    const Tensor v = full({}, value, self.options());
    run_scatter(self1, d, index1, broadcast_arg(v, index1.sizes()), false);
    return self;
}

Tensor& index_add_impl_(Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src, Scalar alpha,
                        const char* op) {
    check_defined(op, {&self, &index, &src});
    check_same_device(op, {&self, &index, &src});
    check_index_dtype(index, op, true);
    PESO_CHECK(index.dim() <= 1, ShapeError, "{}: index must be 0-D or 1-D, got shape {}", op, index.sizes());
    PESO_CHECK(src.dtype() == self.dtype(), DTypeError, "{}: source dtype {} differs from self dtype {}", op,
               src.dtype(), self.dtype());
    PESO_CHECK(is_floating(self.dtype()) || !alpha.is_floating(), DTypeError,
               "{}: alpha {} must be an integer for {} tensors", op, alpha.to_double(), self.dtype());
    Tensor self1 = at_least_1d(self);
    const Tensor src1 = at_least_1d(src);
    const int d = wrap_dim(dim, self1.dim(), op);
    bool shapes_ok = src1.dim() == self1.dim() && src1.size(d) == index.numel();
    for (int i = 0; shapes_ok && i < self1.dim(); ++i) shapes_ok = i == d || src1.size(i) == self1.size(i);
    PESO_CHECK(shapes_ok, ShapeError,
               "{}: source of shape {} does not match self of shape {} with {} indices along dim {} (source must "
               "equal self except in dim {}, whose size must be the number of indices)",
               op, src.sizes(), self.sizes(), index.numel(), d, d);
    check_index_values(index, self1.size(d), d, op);
    self.impl().storage->bump_version();
    if (src1.numel() == 0) return self;
    const Tensor idx = unaliased(flat_int64_index(index), self);
    const Tensor s = contiguous(unaliased(src1, self));
    Backend& backend = backend_for(self.device());
    if (self1.is_contiguous()) {
        backend.index_add(as_3d(self1, d), idx.arg(), as_3d(s, d), alpha);
        return self;
    }
    // The primitive wants a contiguous self: work on a copy, then write back.
    Tensor work = clone(self1);
    backend.index_add(as_3d(work, d), idx.arg(), as_3d(s, d), alpha);
    copy_(self1, work);
    return self;
}

}  // namespace

// ---- selection ------------------------------------------------------------------

Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index) {
    constexpr const char* op = "index_select";
    check_defined(op, {&x, &index});
    check_same_device(op, {&x, &index});
    check_index_dtype(index, op, true);
    PESO_CHECK(index.dim() <= 1, ShapeError, "{}: index must be 0-D or 1-D, got shape {}", op, index.sizes());
    if (x.dim() == 0) {
        // The result keeps the input's rank (PyTorch); so a 0-d input takes
        // exactly one index.
        PESO_CHECK(index.numel() == 1, ShapeError,
                   "{}: a 0-d input takes exactly one index, got index shape {}", op, index.sizes());
        return reshape(index_select(unsqueeze(x, 0), 0, index), {});
    }
    const int d = wrap_dim(dim, x.dim(), op);
    check_index_values(index, x.size(d), d, op);
    return run_index_select(x, d, index);
}

Tensor embedding(const Tensor& weight, const Tensor& indices) {
    constexpr const char* op = "embedding";
    check_defined(op, {&weight, &indices});
    PESO_CHECK(weight.dim() == 2, ShapeError, "{}: weight must be 2-D (num_embeddings, dim), got shape {}", op,
               weight.sizes());
    check_index_dtype(indices, op, true);
    check_same_device(op, {&weight, &indices});
    check_index_values(indices, weight.size(0), 0, op);
    Dims shape = indices.sizes();
    shape.push_back(weight.size(1));
    return view(run_index_select(weight, 0, indices), shape);
}

Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index) {
    constexpr const char* op = "gather";
    check_defined(op, {&x, &index});
    check_same_device(op, {&x, &index});
    check_index_dtype(index, op, false);
    if (x.dim() == 0 && index.dim() == 0) return reshape(gather(unsqueeze(x, 0), dim, unsqueeze(index, 0)), {});
    PESO_CHECK(index.dim() == x.dim(), ShapeError,
               "{}: index must have as many dims as the input, got index shape {} and input shape {}", op,
               index.sizes(), x.sizes());
    const int d = wrap_dim(dim, x.dim(), op);
    for (int i = 0; i < x.dim(); ++i)
        PESO_CHECK(i == d || index.size(i) <= x.size(i), ShapeError,
                   "{}: index shape {} exceeds input shape {} in dim {} (only dim {} may be larger)", op,
                   index.sizes(), x.sizes(), i, d);
    check_index_values(index, x.size(d), d, op);
    Tensor out = empty(index.sizes(), x.options());
    if (out.numel() == 0) return out;
    backend_for(x.device()).gather(out.arg(), x.arg(), index.arg(), d);
    return out;
}

// ---- scatter --------------------------------------------------------------------

Tensor& scatter_(Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src) {
    return scatter_tensor_(self, dim, index, src, false, "scatter_");
}

Tensor& scatter_add_(Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src) {
    return scatter_tensor_(self, dim, index, src, true, "scatter_add_");
}

Tensor& scatter_(Tensor& self, std::int64_t dim, const Tensor& index, Scalar value) {
    return scatter_value_(self, dim, index, value, "scatter_");
}

Tensor scatter(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src) {
    Tensor out = clone(x);
    return scatter_tensor_(out, dim, index, src, false, "scatter");
}

Tensor scatter(const Tensor& x, std::int64_t dim, const Tensor& index, Scalar value) {
    Tensor out = clone(x);
    return scatter_value_(out, dim, index, value, "scatter");
}

Tensor scatter_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src) {
    Tensor out = clone(x);
    return scatter_tensor_(out, dim, index, src, true, "scatter_add");
}

// ---- index_add ------------------------------------------------------------------

Tensor& index_add_(Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src, Scalar alpha) {
    return index_add_impl_(self, dim, index, src, alpha, "index_add_");
}

Tensor index_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src, Scalar alpha) {
    Tensor out = clone(x);
    return index_add_impl_(out, dim, index, src, alpha, "index_add");
}

// ---- one_hot ----------------------------------------------------------------------

Tensor one_hot(const Tensor& indices, std::int64_t num_classes) {
    constexpr const char* op = "one_hot";
    check_defined(op, {&indices});
    check_index_dtype(indices, op, false);
    PESO_CHECK(num_classes >= -1, ValueError, "{}: num_classes must be -1 (infer) or non-negative, got {}", op,
               num_classes);
    PESO_CHECK(num_classes != -1 || indices.numel() > 0, ValueError,
               "{}: cannot infer the number of classes from an empty tensor; pass num_classes", op);
    const ValueRange r = value_range(indices);
    if (indices.numel() > 0) {
        PESO_CHECK(r.min >= 0, IndexError, "{}: class values must be non-negative, got {}", op, r.min);
        if (num_classes == -1) num_classes = r.max + 1;
        PESO_CHECK(r.max < num_classes, IndexError, "{}: class value {} is out of range for num_classes {}", op,
                   r.max, num_classes);
    }
    Dims shape = indices.sizes();
    shape.push_back(num_classes);
    Tensor out = zeros(shape, TensorOptions(DType::i64).device(indices.device()));
    if (indices.numel() == 0) return out;
    const Tensor index = unsqueeze(indices, -1);
    const Tensor one = full({}, 1, out.options());
    run_scatter(out, out.dim() - 1, index, broadcast_arg(one, index.sizes()), false);
    return out;
}

}  // namespace peso::native
