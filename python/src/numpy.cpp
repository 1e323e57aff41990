// Memory shared with NumPy both ways, as torch.from_numpy / Tensor.numpy():
// from_numpy wraps the array's buffer (the array is kept alive by the
// tensor's storage), numpy() and the buffer protocol expose the tensor's
// (kept alive by its storage). Nothing is copied; what cannot be shared is
// refused with the reason (a dtype peso lacks, negative or unaligned strides,
// a tensor off the CPU or one that requires grad).
#include <pybind11/numpy.h>

#include "python/src/bindings.h"

namespace peso::python {
namespace {

DType dtype_from_numpy(const py::dtype& dt) {
    const char kind = dt.kind();
    const auto size = dt.itemsize();
    if (kind == 'b' && size == 1) return DType::b8;
    if (kind == 'i' && size == 4) return DType::i32;
    if (kind == 'i' && size == 8) return DType::i64;
    if (kind == 'f' && size == 2) return DType::f16;
    if (kind == 'f' && size == 4) return DType::f32;
    if (kind == 'f' && size == 8) return DType::f64;
    throw DTypeError(fmt::format("from_numpy: numpy dtype {} has no peso dtype (bool, int32, int64, float16, "
                                 "float32, float64 do); convert it with arr.astype(...) first",
                                 dt.attr("name").cast<std::string>()));
}

py::dtype numpy_dtype(DType t) {
    switch (t) {
        case DType::b8: return py::dtype("bool");
        case DType::i32: return py::dtype("int32");
        case DType::i64: return py::dtype("int64");
        case DType::f16: return py::dtype("float16");
        case DType::f32: return py::dtype("float32");
        case DType::f64: return py::dtype("float64");
        default: break;
    }
    throw DTypeError(fmt::format("numpy(): numpy has no {} dtype; convert the tensor with .float() first", t));
}

Tensor from_numpy(const py::array& arr) {
    const DType dtype = dtype_from_numpy(arr.dtype());
    PESO_CHECK(arr.dtype().byteorder() != '>', ValueError, "from_numpy: big-endian arrays are not supported");
    const auto item = static_cast<std::int64_t>(arr.itemsize());
    Dims sizes, strides;
    std::int64_t extent = arr.size() > 0 ? item : 0;
    for (py::ssize_t d = 0; d < arr.ndim(); ++d) {
        const std::int64_t stride = arr.strides(d);
        PESO_CHECK(stride >= 0, ValueError,
                   "from_numpy: the array has a negative stride ({} bytes in dim {}); pass arr.copy() instead",
                   stride, d);
        PESO_CHECK(stride % item == 0, ValueError,
                   "from_numpy: stride {} of dim {} is not a multiple of the item size {}", stride, d, item);
        sizes.push_back(arr.shape(d));
        strides.push_back(stride / item);
        if (arr.size() > 0) extent += (arr.shape(d) - 1) * stride;
    }
    // The storage holds a reference to the array; dropping it needs the GIL.
    auto* keep = new py::object(arr);
    auto release = [keep] {
        if (!Py_IsInitialized()) return;
        py::gil_scoped_acquire gil;
        delete keep;
    };
    auto impl = std::make_shared<TensorImpl>();
    impl->storage = std::make_shared<Storage>(const_cast<void*>(arr.data()), static_cast<std::size_t>(extent),
                                              Device::cpu(), release);
    impl->sizes = sizes;
    impl->strides = strides;
    impl->dtype = dtype;
    return Tensor(impl);
}

void check_host_view(const Tensor& t, const char* what) {
    if (!t.device().is_cpu())
        throw py::type_error(fmt::format("{}: can't convert a {} tensor to numpy; use .cpu() first", what,
                                         t.device().str()));
    PESO_CHECK(!t.requires_grad(), Error,
               "{}: can't call numpy() on a tensor that requires grad; use tensor.detach().numpy()", what);
}

py::array to_numpy(const Tensor& t) {
    check_host_view(t, "numpy()");
    std::vector<py::ssize_t> shape, strides;
    for (int d = 0; d < t.dim(); ++d) {
        shape.push_back(t.size(d));
        strides.push_back(t.stride(d) * static_cast<py::ssize_t>(t.element_size()));
    }
    // The array keeps the storage (not the handle: .data = ... may swap that).
    auto* keep = new std::shared_ptr<Storage>(t.impl().storage);
    py::capsule owner(keep, [](void* p) { delete static_cast<std::shared_ptr<Storage>*>(p); });
    return py::array(numpy_dtype(t.dtype()), shape, strides, t.data_ptr(), owner);
}

std::string buffer_format(DType t) {
    switch (t) {
        case DType::b8: return "?";
        case DType::i32: return py::format_descriptor<std::int32_t>::format();
        case DType::i64: return py::format_descriptor<std::int64_t>::format();
        case DType::f16: return "e";
        case DType::f32: return "f";
        case DType::f64: return "d";
        default: break;
    }
    throw DTypeError(fmt::format("buffer protocol: no format for dtype {}", t));
}

}  // namespace

void bind_numpy(py::module_& m, py::class_<Tensor>& cls) {
    m.def("from_numpy", &from_numpy, py::arg("ndarray"));
    cls.def("numpy", &to_numpy);
    cls.def_buffer([](const Tensor& t) {
        check_host_view(t, "buffer protocol");
        std::vector<py::ssize_t> shape, strides;
        for (int d = 0; d < t.dim(); ++d) {
            shape.push_back(t.size(d));
            strides.push_back(t.stride(d) * static_cast<py::ssize_t>(t.element_size()));
        }
        return py::buffer_info(t.data_ptr(), static_cast<py::ssize_t>(t.element_size()), buffer_format(t.dtype()),
                               t.dim(), shape, strides);
    });
}

}  // namespace peso::python
