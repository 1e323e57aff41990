// peso.dtype, peso.device, the casters of the small C++ types, and peso's
// exceptions as Python ones: each C++ error class maps to the Python class a
// PyTorch user would catch (shape and dtype errors are also RuntimeErrors,
// which is what PyTorch raises for them).
#include <array>

#include "python/src/bindings.h"

namespace peso::python {
namespace {

constexpr std::array<DType, 7> kDTypes = {DType::b8, DType::i32, DType::i64, DType::f16,
                                          DType::bf16, DType::f32, DType::f64};
// The one Python object per dtype (peso.float32 is t.dtype); created once,
// never freed, so that nothing is released after the interpreter is gone.
std::array<PyObject*, 7> dtype_objects{};

PyObject* new_exception(py::module_& m, const char* name, std::initializer_list<PyObject*> bases) {
    py::tuple b(bases.size());
    std::size_t i = 0;
    for (PyObject* base : bases) b[i++] = py::reinterpret_borrow<py::object>(base);
    const std::string qualified = std::string("peso.") + name;
    PyObject* e = PyErr_NewException(qualified.c_str(), b.ptr(), nullptr);
    if (!e) throw py::error_already_set();
    m.add_object(name, py::reinterpret_borrow<py::object>(e));
    return e;
}

void bind_exceptions(py::module_& m) {
    static PyObject* shape = new_exception(m, "ShapeError", {PyExc_ValueError, PyExc_RuntimeError});
    static PyObject* dtype = new_exception(m, "DTypeError", {PyExc_TypeError, PyExc_RuntimeError});
    static PyObject* device = new_exception(m, "DeviceError", {PyExc_RuntimeError});
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const ShapeError& e) {
            PyErr_SetString(shape, e.what());
        } catch (const DTypeError& e) {
            PyErr_SetString(dtype, e.what());
        } catch (const DeviceError& e) {
            PyErr_SetString(device, e.what());
        } catch (const peso::IndexError& e) {
            PyErr_SetString(PyExc_IndexError, e.what());
        } catch (const peso::ValueError& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        } catch (const peso::NotImplementedError& e) {
            PyErr_SetString(PyExc_NotImplementedError, e.what());
        } catch (const peso::IOError& e) {
            PyErr_SetString(PyExc_OSError, e.what());
        } catch (const peso::Error& e) {
            PyErr_SetString(PyExc_RuntimeError, e.what());
        }
    });
}

}  // namespace

GilCallable::GilCallable(py::function fn)
    : fn_(new py::function(std::move(fn)), [](py::function* f) {
          py::gil_scoped_acquire gil;
          delete f;
      }) {}

py::object GilCallable::operator()(py::args args) const {
    py::gil_scoped_acquire gil;
    return (*fn_)(*args);
}

void bind_types(py::module_& m) {
    bind_exceptions(m);

    py::class_<PyDType>(m, "dtype")
        .def_property_readonly("is_floating_point", [](const PyDType& d) { return is_floating(d.value); })
        .def_property_readonly("itemsize", [](const PyDType& d) { return itemsize(d.value); })
        .def("__repr__", [](const PyDType& d) { return "peso." + std::string(dtype_name(d.value)); })
        .def("__eq__", [](const PyDType& a, const PyDType& b) { return a.value == b.value; })
        .def("__eq__", [](const PyDType&, const py::object&) { return false; })
        .def("__hash__", [](const PyDType& d) { return static_cast<int>(d.value); });
    for (DType t : kDTypes) {
        py::object o = py::cast(PyDType{t});
        dtype_objects[static_cast<int>(t)] = o.inc_ref().ptr();
        m.attr(std::string(dtype_name(t)).c_str()) = o;
    }
    // PyTorch's other names for them.
    m.attr("float") = m.attr("float32");
    m.attr("double") = m.attr("float64");
    m.attr("half") = m.attr("float16");
    m.attr("long") = m.attr("int64");
    m.attr("int") = m.attr("int32");

    py::class_<PyDevice>(m, "device")
        .def(py::init([](const std::string& s) { return PyDevice{Device::parse(s)}; }))
        .def(py::init([](const std::string& type, int index) {
            return PyDevice{Device::parse(type + ":" + std::to_string(index))};
        }))
        .def_property_readonly("type", [](const PyDevice& d) { return d.value.is_cpu() ? "cpu" : "cuda"; })
        .def_property_readonly("index", [](const PyDevice& d) -> py::object {
            if (d.value.is_cpu()) return py::none();
            return py::int_(d.value.index);
        })
        .def("__str__", [](const PyDevice& d) { return d.value.str(); })
        .def("__repr__", [](const PyDevice& d) {
            return d.value.is_cpu() ? std::string("device(type='cpu')")
                                    : "device(type='cuda', index=" + std::to_string(d.value.index) + ")";
        })
        .def("__eq__", [](const PyDevice& a, const PyDevice& b) { return a.value == b.value; })
        .def("__eq__", [](const PyDevice& a, const std::string& b) { return a.value == Device::parse(b); })
        .def("__hash__", [](const PyDevice& d) { return d.value.is_cpu() ? -1 : d.value.index; });
}

}  // namespace peso::python

namespace pybind11::detail {

namespace {
bool is_tensor(handle src) {
    auto* ti = get_type_info(typeid(peso::Tensor));
    return ti && PyObject_IsInstance(src.ptr(), reinterpret_cast<PyObject*>(ti->type)) == 1;
}
}  // namespace

bool type_caster<peso::Scalar>::load(handle src, bool convert) {
    PyObject* o = src.ptr();
    if (PyBool_Check(o)) {
        value = peso::Scalar(o == Py_True);
        return true;
    }
    if (PyLong_Check(o)) {
        const long long v = PyLong_AsLongLong(o);
        if (v == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            return false;
        }
        value = peso::Scalar(static_cast<std::int64_t>(v));
        return true;
    }
    if (PyFloat_Check(o)) {
        value = peso::Scalar(PyFloat_AsDouble(o));
        return true;
    }
    // NumPy scalars (np.int64 has __index__, np.float32 __float__); not tensors.
    if (!convert || is_tensor(src)) return false;
    if (PyIndex_Check(o)) {
        const long long v = PyLong_AsLongLong(object(reinterpret_steal<object>(PyNumber_Index(o))).ptr());
        if (PyErr_Occurred()) {
            PyErr_Clear();
            return false;
        }
        value = peso::Scalar(static_cast<std::int64_t>(v));
        return true;
    }
    if (Py_TYPE(o)->tp_as_number && Py_TYPE(o)->tp_as_number->nb_float) {
        const double v = PyFloat_AsDouble(o);
        if (PyErr_Occurred()) {
            PyErr_Clear();
            return false;
        }
        value = peso::Scalar(v);
        return true;
    }
    return false;
}

handle type_caster<peso::Scalar>::cast(const peso::Scalar& s, return_value_policy, handle) {
    if (s.kind() == peso::DType::b8) return pybind11::bool_(s.to_int() != 0).release();
    if (s.kind() == peso::DType::i64) return pybind11::int_(s.to_int()).release();
    return pybind11::float_(s.to_double()).release();
}

bool type_caster<peso::Dims>::load(handle src, bool) {
    if (!PyTuple_Check(src.ptr()) && !PyList_Check(src.ptr())) return false;
    const sequence seq = reinterpret_borrow<sequence>(src);
    if (seq.size() > static_cast<std::size_t>(peso::kMaxDims))
        throw peso::ShapeError(fmt::format("tensors have at most {} dims, got a shape of {}", peso::kMaxDims,
                                           seq.size()));
    peso::Dims d;
    for (const auto item : seq) {
        if (PyBool_Check(item.ptr()) || !PyIndex_Check(item.ptr())) return false;
        d.push_back(item.cast<std::int64_t>());
    }
    value = d;
    return true;
}

handle type_caster<peso::Dims>::cast(const peso::Dims& d, return_value_policy, handle) {
    tuple t(d.size());
    for (int i = 0; i < d.size(); ++i) t[i] = int_(d[i]);
    return t.release();
}

bool type_caster<peso::DType>::load(handle src, bool) {
    if (isinstance<peso::python::PyDType>(src)) {
        value = src.cast<const peso::python::PyDType&>().value;
        return true;
    }
    // PyTorch also takes Python's own types: float is float64, int int64.
    if (src.ptr() == reinterpret_cast<PyObject*>(&PyFloat_Type)) value = peso::DType::f64;
    else if (src.ptr() == reinterpret_cast<PyObject*>(&PyLong_Type)) value = peso::DType::i64;
    else if (src.ptr() == reinterpret_cast<PyObject*>(&PyBool_Type)) value = peso::DType::b8;
    else return false;
    return true;
}

handle type_caster<peso::DType>::cast(peso::DType t, return_value_policy, handle) {
    PyObject* o = peso::python::dtype_objects[static_cast<int>(t)];
    Py_INCREF(o);
    return o;
}

bool type_caster<peso::Device>::load(handle src, bool) {
    if (isinstance<peso::python::PyDevice>(src)) {
        value = src.cast<const peso::python::PyDevice&>().value;
        return true;
    }
    if (PyUnicode_Check(src.ptr())) {
        value = peso::Device::parse(src.cast<std::string>());
        return true;
    }
    return false;
}

handle type_caster<peso::Device>::cast(const peso::Device& d, return_value_policy policy, handle parent) {
    return type_caster_base<peso::python::PyDevice>::cast(peso::python::PyDevice{d}, return_value_policy::move,
                                                          parent);
}

}  // namespace pybind11::detail
