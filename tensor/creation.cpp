// Creation ops.
#include <cmath>

#include "backends/registry.h"
#include "tensor/native.h"

namespace peso::native {

Tensor empty(const Dims& shape, TensorOptions opts) {
    return empty_strided(shape, contiguous_strides(shape), opts);
}

Tensor empty_strided(const Dims& shape, const Dims& strides, TensorOptions opts) {
    PESO_CHECK(shape.size() == strides.size(), ShapeError, "empty_strided: shape {} and strides {} differ in length",
               shape, strides);
    // The elements the strides reach, then the bytes: both checked, so that a
    // huge shape throws here rather than allocating a wrapped-around small block.
    const std::int64_t numel = checked_numel(shape, "empty");
    std::int64_t extent = numel == 0 ? 0 : 1;
    for (int i = 0; i < shape.size() && numel > 0; ++i) {
        PESO_CHECK(strides[i] >= 0, ShapeError, "empty_strided: negative stride in {}", strides);
        extent = checked_add(extent, checked_mul(shape[i] - 1, strides[i], "empty"), "empty");
    }
    const DType dtype = opts.dtype_or(kDefaultDType);
    const std::size_t nbytes = checked_nbytes(extent, itemsize(dtype), "empty");
    Allocator& alloc = backend_for(opts.device_).allocator();
    auto impl = std::make_shared<TensorImpl>();
    impl->storage = std::make_shared<Storage>(nbytes, opts.device_, alloc);
    impl->dtype = dtype;
    impl->sizes = shape;
    impl->strides = strides;
    return Tensor(std::move(impl));
}

Tensor full(const Dims& shape, Scalar value, TensorOptions opts) {
    const DType inferred = value.kind() == DType::f64 ? kDefaultDType : value.kind();
    Tensor t = empty(shape, opts.dtype(opts.dtype_or(inferred)));
    return fill_(t, value);
}

Tensor zeros(const Dims& shape, TensorOptions opts) { return full(shape, 0.0, opts); }
Tensor ones(const Dims& shape, TensorOptions opts) { return full(shape, 1.0, opts); }
Tensor scalar_tensor(Scalar value, TensorOptions opts) { return full({}, value, opts); }

Tensor empty_like(const Tensor& t) { return empty(t.sizes(), t.options()); }
Tensor zeros_like(const Tensor& t) { return zeros(t.sizes(), t.options()); }
Tensor ones_like(const Tensor& t) { return ones(t.sizes(), t.options()); }
Tensor full_like(const Tensor& t, Scalar value) { return full(t.sizes(), value, t.options()); }

Tensor arange(Scalar end, TensorOptions opts) { return arange(0, end, 1, opts); }

Tensor arange(Scalar start, Scalar end, Scalar step, TensorOptions opts) {
    const bool all_int = !start.is_floating() && !end.is_floating() && !step.is_floating();
    const double s = start.to_double(), e = end.to_double(), st = step.to_double();
    PESO_CHECK(st != 0.0, ValueError, "arange: step must be nonzero");
    PESO_CHECK((e - s) / st >= 0 || e == s, ValueError,
               "arange: step {} has the wrong sign for start {} and end {}", st, s, e);
    const double count = std::ceil((e - s) / st);
    PESO_CHECK(std::isfinite(count) && count < 0x1p62, ValueError,
               "arange: start {}, end {} and step {} give {} elements, too many", s, e, st, count);
    const auto n = static_cast<std::int64_t>(count);
    Tensor t = empty({n}, opts.dtype(opts.dtype_or(all_int ? DType::i64 : kDefaultDType)));
    if (n > 0) backend_for(t.device()).arange(t.arg(), s, st);
    return t;
}

Tensor linspace(double start, double end, std::int64_t steps, TensorOptions opts) {
    PESO_CHECK(steps >= 0, ValueError, "linspace: steps must be non-negative, got {}", steps);
    Tensor t = empty({steps}, opts);
    if (steps == 0) return t;
    const double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
    backend_for(t.device()).arange(t.arg(), start, step);
    if (steps > 1) {
        Tensor last = narrow(t, 0, steps - 1, 1);
        fill_(last, end);  // exact end point, as users expect
    }
    return t;
}

Tensor eye(std::int64_t n, std::optional<std::int64_t> m, TensorOptions opts) {
    const std::int64_t cols = m.value_or(n);
    PESO_CHECK(n >= 0 && cols >= 0, ValueError, "eye: sizes must be non-negative, got {} x {}", n, cols);
    Tensor t = zeros({n, cols}, opts);
    Tensor d = diagonal(t);
    fill_(d, 1);
    return t;
}

template <typename T> Tensor from_vector(const std::vector<T>& values, std::optional<Dims> shape, Device device) {
    const Dims s = shape.value_or(Dims{static_cast<std::int64_t>(values.size())});
    PESO_CHECK(s.product() == static_cast<std::int64_t>(values.size()), ShapeError,
               "from_vector: {} values cannot fill shape {}", values.size(), s);
    Tensor host = empty(s, TensorOptions(dtype_v<T>));
    T* p = static_cast<T*>(host.data_ptr());
    for (std::size_t i = 0; i < values.size(); ++i) p[i] = values[i];
    return to_device(host, device);
}

template Tensor from_vector(const std::vector<float>&, std::optional<Dims>, Device);
template Tensor from_vector(const std::vector<double>&, std::optional<Dims>, Device);
template Tensor from_vector(const std::vector<std::int64_t>&, std::optional<Dims>, Device);
template Tensor from_vector(const std::vector<std::int32_t>&, std::optional<Dims>, Device);
template Tensor from_vector(const std::vector<bool>&, std::optional<Dims>, Device);

Tensor tensor(std::initializer_list<float> values) { return from_vector(std::vector<float>(values)); }

}  // namespace peso::native
