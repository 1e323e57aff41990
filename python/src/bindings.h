#pragma once
// What the binding files share: the type casters between Python values and
// peso's small types (Scalar, Dims, DType, Device), and one function per
// concept that adds its part of the module. Python numbers become Scalars,
// sequences of ints Dims, peso.dtype objects DTypes, "cpu"/"cuda:0" or
// peso.device objects Devices.
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>

#include "peso.h"

namespace py = pybind11;

namespace peso::python {

// peso.dtype and peso.device: the Python objects behind peso.float32 and t.device.
struct PyDType {
    DType value;
};
struct PyDevice {
    Device value;
};

// Runs `fn` on a Python callable from C++ code that may hold no GIL (backward
// hooks, gradcheck, LambdaLR): the callable is kept, called and released with
// the GIL held.
class GilCallable {
public:
    explicit GilCallable(py::function fn);
    py::object operator()(py::args args) const;
    template <typename... A> py::object call(A&&... a) const {
        py::gil_scoped_acquire gil;
        return (*fn_)(std::forward<A>(a)...);
    }

private:
    std::shared_ptr<py::function> fn_;
};

// The Tensor a Python value stands for: a Tensor as it is, a number or a
// (nested) sequence through numpy as peso.tensor() would.
Tensor as_tensor_like(py::handle value, const Tensor& like);

void bind_types(py::module_& m);       // dtype, device, exceptions (types.cpp)
void bind_tensor(py::module_& m);      // the Tensor class (tensor.cpp)
void bind_indexing(py::class_<Tensor>& cls);  // __getitem__ / __setitem__ (indexing.cpp)
void bind_numpy(py::module_& m, py::class_<Tensor>& cls);  // from_numpy, numpy(), buffers (numpy.cpp)
void bind_creation(py::module_& m);    // zeros, randn, arange... (creation.cpp)
void bind_ops(py::module_& m);         // the free functions (ops.cpp)
void bind_autograd(py::module_& m);    // grad mode, backward, grad, gradcheck (autograd.cpp)
void bind_function(py::module_& a);    // autograd.Function's graph node (function.cpp)
void bind_cuda(py::module_& m);        // peso.cuda: is_available, device_count (cuda.cpp)
void bind_nn(py::module_& m);          // functional, init, clip_grad, module helpers (nn.cpp)
void bind_attention(py::module_& n);   // the C++ MultiheadAttention, sinusoidal table (attention.cpp)
void bind_optim(py::module_& m);       // optimizers, schedulers (optim.cpp)
void bind_models(py::module_& m);      // GPT, tokenizers, generate, safetensors (models.cpp)

}  // namespace peso::python

namespace pybind11::detail {

template <> struct type_caster<peso::Scalar> {
    PYBIND11_TYPE_CASTER(peso::Scalar, const_name("number"));
    type_caster() : value(0) {}
    bool load(handle src, bool convert);
    static handle cast(const peso::Scalar& s, return_value_policy, handle);
};

template <> struct type_caster<peso::Dims> {
    PYBIND11_TYPE_CASTER(peso::Dims, const_name("Sequence[int]"));
    bool load(handle src, bool convert);
    static handle cast(const peso::Dims& d, return_value_policy, handle);
};

template <> struct type_caster<peso::DType> {
    PYBIND11_TYPE_CASTER(peso::DType, const_name("peso.dtype"));
    bool load(handle src, bool convert);
    static handle cast(peso::DType t, return_value_policy, handle);
};

template <> struct type_caster<peso::Device> {
    PYBIND11_TYPE_CASTER(peso::Device, const_name("peso.device | str"));
    bool load(handle src, bool convert);
    static handle cast(const peso::Device& d, return_value_policy, handle);
};

}  // namespace pybind11::detail
