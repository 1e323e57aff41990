// peso.Tensor: properties, methods and operators. Every op runs without the
// GIL (nogil); the methods that only need Python-side parsing (to(), tolist())
// are added in python/peso/_tensor.py.
#include "autograd/node.h"
#include "nn/module.h"
#include "python/src/args.h"

namespace peso::python {
namespace {

py::object grad_or_none(const Tensor& t) {
    const Tensor g = t.grad();
    if (!g.defined()) return py::none();
    return py::cast(g);
}

// A Python number with the tensor's single value, of the matching kind.
py::object item(const Tensor& t) {
    if (is_floating(t.dtype())) {
        double v;
        {
            py::gil_scoped_release r;
            v = t.item<double>();
        }
        return py::float_(v);
    }
    std::int64_t v;
    {
        py::gil_scoped_release r;
        v = t.item<std::int64_t>();
    }
    if (t.dtype() == DType::b8) return py::bool_(v != 0);
    return py::int_(v);
}

// Hooks stay registered in the graph; remove() makes them pass through.
struct HookHandle {
    std::shared_ptr<bool> active;
    void remove() const { *active = false; }
};

HookHandle register_hook(const Tensor& t, py::function fn) {
    auto active = std::make_shared<bool>(true);
    GilCallable call(std::move(fn));
    t.register_hook([call, active](const Tensor& g) -> Tensor {
        if (!*active) return {};
        py::gil_scoped_acquire gil;
        py::object r = call.call(g);
        if (r.is_none()) return {};
        return r.cast<Tensor>();
    });
    return {active};
}

// fn(self, args...) without the GIL, returning self's very Python object: as
// PyTorch, `t.add_(1) is t`, and `x += y` rebinds x to the same object.
template <typename... Args, typename Fn> auto in_place(Fn fn) {
    return [fn](const py::object& self, Args... args) {
        Tensor& t = self.cast<Tensor&>();
        {
            py::gil_scoped_release r;
            fn(t, args...);
        }
        return self;
    };
}

void bind_operators(py::class_<Tensor>& c) {
    // Binary arithmetic: tensor with tensor first (the fast path), then numbers.
    c.def("__add__", [](const Tensor& a, const Tensor& b) { return add(a, b); }, nogil())
        .def("__add__", [](const Tensor& a, Scalar b) { return add(a, b); }, nogil())
        .def("__radd__", [](const Tensor& a, Scalar b) { return add(a, b); }, nogil())
        .def("__sub__", [](const Tensor& a, const Tensor& b) { return sub(a, b); }, nogil())
        .def("__sub__", [](const Tensor& a, Scalar b) { return sub(a, b); }, nogil())
        .def("__rsub__", [](const Tensor& a, Scalar b) { return sub(b, a); }, nogil())
        .def("__mul__", [](const Tensor& a, const Tensor& b) { return mul(a, b); }, nogil())
        .def("__mul__", [](const Tensor& a, Scalar b) { return mul(a, b); }, nogil())
        .def("__rmul__", [](const Tensor& a, Scalar b) { return mul(a, b); }, nogil())
        .def("__truediv__", [](const Tensor& a, const Tensor& b) { return div(a, b); }, nogil())
        .def("__truediv__", [](const Tensor& a, Scalar b) { return div(a, b); }, nogil())
        .def("__rtruediv__", [](const Tensor& a, Scalar b) { return div(b, a); }, nogil())
        .def("__floordiv__", [](const Tensor& a, const Tensor& b) { return floor_divide(a, b); }, nogil())
        .def("__floordiv__", [](const Tensor& a, Scalar b) { return floor_divide(a, scalar_tensor(b, a.options())); },
             nogil())
        .def("__mod__", [](const Tensor& a, const Tensor& b) { return remainder(a, b); }, nogil())
        .def("__mod__", [](const Tensor& a, Scalar b) { return remainder(a, scalar_tensor(b, a.options())); },
             nogil())
        .def("__pow__", [](const Tensor& a, const Tensor& b) { return pow(a, b); }, nogil())
        .def("__pow__", [](const Tensor& a, Scalar b) { return pow(a, b); }, nogil())
        .def("__rpow__", [](const Tensor& a, Scalar b) { return pow(b, a); }, nogil())
        .def("__matmul__", [](const Tensor& a, const Tensor& b) { return matmul(a, b); }, nogil())
        .def("__neg__", [](const Tensor& a) { return neg(a); }, nogil())
        .def("__pos__", [](const Tensor& a) { return a; })
        .def("__abs__", [](const Tensor& a) { return abs(a); }, nogil())
        .def("__invert__", [](const Tensor& a) { return logical_not(a); }, nogil())
        .def("__and__", [](const Tensor& a, const Tensor& b) { return logical_and(a, b); }, nogil())
        .def("__or__", [](const Tensor& a, const Tensor& b) { return logical_or(a, b); }, nogil())
        .def("__xor__", [](const Tensor& a, const Tensor& b) { return logical_xor(a, b); }, nogil());
    // In place: the same Python object comes back, as `x += y` rebinds x to it.
    c.def("__iadd__", in_place<const Tensor&>([](Tensor& a, const Tensor& b) { a.add_(b); }))
        .def("__iadd__", in_place<Scalar>([](Tensor& a, Scalar b) { a.add_(b); }))
        .def("__isub__", in_place<const Tensor&>([](Tensor& a, const Tensor& b) { a.sub_(b); }))
        .def("__isub__", in_place<Scalar>([](Tensor& a, Scalar b) { a.sub_(b); }))
        .def("__imul__", in_place<const Tensor&>([](Tensor& a, const Tensor& b) { a.mul_(b); }))
        .def("__imul__", in_place<Scalar>([](Tensor& a, Scalar b) { a.mul_(b); }))
        .def("__itruediv__", in_place<const Tensor&>([](Tensor& a, const Tensor& b) { a.div_(b); }))
        .def("__itruediv__", in_place<Scalar>([](Tensor& a, Scalar b) { a.div_(b); }));
    // Comparisons give bool tensors; == with a non-tensor, non-number is False.
#define PESO_PY_COMPARE(py_name, fn)                                                     \
    c.def(py_name, [](const Tensor& a, const Tensor& b) { return fn(a, b); }, nogil()) \
        .def(py_name, [](const Tensor& a, Scalar b) { return fn(a, b); }, nogil());
    PESO_PY_COMPARE("__eq__", eq)
    PESO_PY_COMPARE("__ne__", ne)
    PESO_PY_COMPARE("__lt__", lt)
    PESO_PY_COMPARE("__le__", le)
    PESO_PY_COMPARE("__gt__", gt)
    PESO_PY_COMPARE("__ge__", ge)
#undef PESO_PY_COMPARE
    c.def("__eq__", [](const Tensor&, const py::object&) { return false; })
        .def("__ne__", [](const Tensor&, const py::object&) { return true; })
        .def("__hash__", [](const py::object& self) { return reinterpret_cast<std::intptr_t>(self.ptr()); });
}

void bind_properties(py::class_<Tensor>& c) {
    c.def_property_readonly("shape", [](const Tensor& t) { return t.sizes(); })
        .def_property_readonly("dtype", [](const Tensor& t) { return t.dtype(); })
        .def_property_readonly("device", [](const Tensor& t) { return t.device(); })
        .def_property_readonly("ndim", [](const Tensor& t) { return t.dim(); })
        .def_property_readonly("is_leaf", [](const Tensor& t) { return t.is_leaf(); })
        .def_property_readonly("is_cuda", [](const Tensor& t) { return t.device().is_cuda(); })
        .def_property_readonly("T", [](const Tensor& t) {
            Dims order;
            for (int d = t.dim() - 1; d >= 0; --d) order.push_back(d);
            return t.permute(order);
        })
        .def_property_readonly("mT", [](const Tensor& t) { return t.transpose(-2, -1); })
        .def_property_readonly("grad_fn", [](const Tensor& t) -> py::object {
            const auto fn = t.grad_fn();
            if (!fn) return py::none();
            return py::str("<" + fn->name() + ">");
        })
        .def_property(
            "requires_grad", [](const Tensor& t) { return t.requires_grad(); },
            [](Tensor& t, bool on) { t.requires_grad_(on); })
        .def_property(
            "grad", &grad_or_none,
            [](const Tensor& t, const std::optional<Tensor>& g) { t.set_grad(g.value_or(Tensor())); })
        // .data: the same storage without history; assigning replaces the values' storage in place.
        .def_property(
            "data", [](const Tensor& t) { return t.detach(); },
            [](const Tensor& t, const Tensor& v) { nn::assign_data(t, v.detach()); });
}

void bind_shape_methods(py::class_<Tensor>& c) {
    c.def("size", [](const Tensor& t) { return t.sizes(); })
        .def("size", [](const Tensor& t, std::int64_t d) { return t.size(d); })
        .def("dim", &Tensor::dim)
        .def("ndimension", &Tensor::dim)
        .def("numel", &Tensor::numel)
        .def("nelement", &Tensor::numel)
        .def("element_size", &Tensor::element_size)
        .def("stride", [](const Tensor& t) { return t.strides(); })
        .def("stride", [](const Tensor& t, std::int64_t d) { return t.stride(d); })
        .def("storage_offset", &Tensor::storage_offset)
        .def("is_contiguous", &Tensor::is_contiguous)
        .def("is_floating_point", &Tensor::is_floating_point)
        .def("__len__", [](const Tensor& t) {
            PESO_CHECK(t.dim() > 0, ValueError, "len() of a 0-d tensor");
            return t.size(0);
        })
        .def("view", [](const Tensor& t, const py::args& s) { return t.view(dims_from_args(s)); })
        .def("reshape", [](const Tensor& t, const py::args& s) {
            const Dims d = dims_from_args(s);
            py::gil_scoped_release r;  // may copy
            return t.reshape(d);
        })
        .def("permute", [](const Tensor& t, const py::args& s) { return t.permute(dims_from_args(s)); })
        .def("expand", [](const Tensor& t, const py::args& s) { return t.expand(dims_from_args(s)); })
        .def("view_as", [](const Tensor& t, const Tensor& o) { return t.view(o.sizes()); })
        .def("reshape_as", [](const Tensor& t, const Tensor& o) { return t.reshape(o.sizes()); }, nogil())
        .def("expand_as", &Tensor::expand_as)
        .def("transpose", &Tensor::transpose)
        .def("t", &Tensor::t)
        .def("narrow", &Tensor::narrow)
        .def("select", &Tensor::select)
        .def("squeeze", [](const Tensor& t, std::optional<std::int64_t> d) { return d ? t.squeeze(*d) : t.squeeze(); },
             py::arg("dim") = py::none())
        .def("unsqueeze", &Tensor::unsqueeze)
        .def("flatten", &Tensor::flatten, py::arg("start_dim") = 0, py::arg("end_dim") = -1, nogil())
        .def("unflatten", &Tensor::unflatten)
        .def("diagonal", [](const Tensor& t, std::int64_t o, std::int64_t d0, std::int64_t d1) {
            return diagonal(t, o, d0, d1);
        }, py::arg("offset") = 0, py::arg("dim1") = 0, py::arg("dim2") = 1)
        .def("split", [](const Tensor& t, std::int64_t s, std::int64_t d) { return split(t, s, d); }, py::arg("split_size"),
             py::arg("dim") = 0)
        .def("split", [](const Tensor& t, const std::vector<std::int64_t>& s, std::int64_t d) { return split(t, s, d); },
             py::arg("split_size"), py::arg("dim") = 0)
        .def("chunk", [](const Tensor& t, std::int64_t n, std::int64_t d) { return chunk(t, n, d); }, py::arg("chunks"),
             py::arg("dim") = 0);
}

void bind_math_methods(py::class_<Tensor>& c) {
#define PESO_PY_UNARY(name) c.def(#name, [](const Tensor& t) { return name(t); }, nogil());
    PESO_PY_UNARY(neg) PESO_PY_UNARY(abs) PESO_PY_UNARY(exp) PESO_PY_UNARY(log) PESO_PY_UNARY(log1p)
    PESO_PY_UNARY(sqrt) PESO_PY_UNARY(rsqrt) PESO_PY_UNARY(sin) PESO_PY_UNARY(cos) PESO_PY_UNARY(tanh)
    PESO_PY_UNARY(sigmoid) PESO_PY_UNARY(relu) PESO_PY_UNARY(erf) PESO_PY_UNARY(sign) PESO_PY_UNARY(floor)
    PESO_PY_UNARY(ceil) PESO_PY_UNARY(round) PESO_PY_UNARY(reciprocal) PESO_PY_UNARY(contiguous)
    PESO_PY_UNARY(clone) PESO_PY_UNARY(logical_not) PESO_PY_UNARY(isnan) PESO_PY_UNARY(isinf)
#undef PESO_PY_UNARY
    c.def("add", [](const Tensor& a, const Tensor& b, Scalar alpha) { return add(a, b, alpha); }, py::arg("other"),
          py::arg("alpha") = 1, nogil())
        .def("add", [](const Tensor& a, Scalar b) { return add(a, b); }, nogil())
        .def("sub", [](const Tensor& a, const Tensor& b, Scalar alpha) { return sub(a, b, alpha); }, py::arg("other"),
             py::arg("alpha") = 1, nogil())
        .def("sub", [](const Tensor& a, Scalar b) { return sub(a, b); }, nogil())
        .def("mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); }, nogil())
        .def("mul", [](const Tensor& a, Scalar b) { return mul(a, b); }, nogil())
        .def("div", [](const Tensor& a, const Tensor& b) { return div(a, b); }, nogil())
        .def("div", [](const Tensor& a, Scalar b) { return div(a, b); }, nogil())
        .def("pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); }, nogil())
        .def("pow", [](const Tensor& a, Scalar b) { return pow(a, b); }, nogil())
        .def("maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }, nogil())
        .def("minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); }, nogil())
        .def("matmul", [](const Tensor& a, const Tensor& b) { return matmul(a, b); }, nogil())
        .def("mm", [](const Tensor& a, const Tensor& b) { return mm(a, b); }, nogil())
        .def("bmm", [](const Tensor& a, const Tensor& b) { return bmm(a, b); }, nogil())
        .def("leaky_relu", [](const Tensor& t, double s) { return leaky_relu(t, s); }, py::arg("negative_slope") = 0.01,
             nogil())
        .def("clamp", [](const Tensor& t, std::optional<Scalar> lo, std::optional<Scalar> hi) { return clamp(t, lo, hi); },
             py::arg("min") = py::none(), py::arg("max") = py::none(), nogil())
        .def("masked_fill", [](const Tensor& t, const Tensor& m, Scalar v) { return masked_fill(t, m, v); }, nogil())
        .def("softmax", [](const Tensor& t, std::int64_t d) { return softmax(t, d); }, py::arg("dim"), nogil())
        .def("log_softmax", [](const Tensor& t, std::int64_t d) { return log_softmax(t, d); }, py::arg("dim"), nogil())
        .def("tril", [](const Tensor& t, std::int64_t k) { return tril(t, k); }, py::arg("diagonal") = 0, nogil())
        .def("triu", [](const Tensor& t, std::int64_t k) { return triu(t, k); }, py::arg("diagonal") = 0, nogil())
        .def("cumsum", [](const Tensor& t, std::int64_t d) { return cumsum(t, d); }, py::arg("dim"), nogil())
        .def("index_select", [](const Tensor& t, std::int64_t d, const Tensor& i) { return index_select(t, d, i); },
             nogil())
        .def("gather", [](const Tensor& t, std::int64_t d, const Tensor& i) { return gather(t, d, i); }, nogil())
        .def("scatter", [](const Tensor& t, std::int64_t d, const Tensor& i, const Tensor& s) {
            return scatter(t, d, i, s); }, nogil())
        .def("scatter_add", [](const Tensor& t, std::int64_t d, const Tensor& i, const Tensor& s) {
            return scatter_add(t, d, i, s); }, nogil())
        .def("index_add", [](const Tensor& t, std::int64_t d, const Tensor& i, const Tensor& s, Scalar a) {
            return index_add(t, d, i, s, a); }, py::arg("dim"), py::arg("index"), py::arg("source"),
            py::arg("alpha") = 1, nogil())
        .def("eq", [](const Tensor& a, const Tensor& b) { return eq(a, b); }, nogil())
        .def("ne", [](const Tensor& a, const Tensor& b) { return ne(a, b); }, nogil())
        .def("allclose", [](const Tensor& a, const Tensor& b, double rtol, double atol, bool nan) {
            return allclose(a, b, rtol, atol, nan); }, py::arg("other"), py::arg("rtol") = 1e-5,
            py::arg("atol") = 1e-8, py::arg("equal_nan") = false, nogil())
        .def("equal", [](const Tensor& a, const Tensor& b) { return equal(a, b); }, nogil());
}

void bind_reductions(py::class_<Tensor>& c) {
#define PESO_PY_REDUCE(name)                                                                                  \
    c.def(#name, [](const Tensor& t, const py::object& dim, bool keepdim) {                                  \
        const Dims d = dims_from_object(dim);                                                                 \
        py::gil_scoped_release r;                                                                             \
        return name(t, d, keepdim);                                                                           \
    }, py::arg("dim") = py::none(), py::arg("keepdim") = false);
    PESO_PY_REDUCE(sum) PESO_PY_REDUCE(mean) PESO_PY_REDUCE(prod) PESO_PY_REDUCE(amax) PESO_PY_REDUCE(amin)
    PESO_PY_REDUCE(all) PESO_PY_REDUCE(any)
#undef PESO_PY_REDUCE
    c.def("logsumexp", [](const Tensor& t, const py::object& dim, bool keepdim) {
        const Dims d = dims_from_object(dim);
        py::gil_scoped_release r;
        return logsumexp(t, d, keepdim); }, py::arg("dim"), py::arg("keepdim") = false)
        .def("var", [](const Tensor& t, const py::object& dim, std::optional<double> correction, bool unbiased,
                       bool keepdim) {
            const Dims d = dims_from_object(dim);
            py::gil_scoped_release r;
            return var(t, d, correction.value_or(unbiased ? 1 : 0), keepdim); },
             py::arg("dim") = py::none(), py::kw_only(), py::arg("correction") = py::none(), py::arg("unbiased") = true,
             py::arg("keepdim") = false)
        .def("std", [](const Tensor& t, const py::object& dim, std::optional<double> correction, bool unbiased,
                       bool keepdim) {
            const Dims d = dims_from_object(dim);
            py::gil_scoped_release r;
            return std(t, d, correction.value_or(unbiased ? 1 : 0), keepdim); },
             py::arg("dim") = py::none(), py::kw_only(), py::arg("correction") = py::none(), py::arg("unbiased") = true,
             py::arg("keepdim") = false)
        // max()/min() reduce everything; with a dim they return (values, indices) as PyTorch.
        .def("max", [](const Tensor& t) { return amax(t); }, nogil())
        .def("max", [](const Tensor& t, std::int64_t d, bool k) { return max(t, d, k); }, py::arg("dim"),
             py::arg("keepdim") = false, nogil())
        .def("max", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }, nogil())
        .def("min", [](const Tensor& t) { return amin(t); }, nogil())
        .def("min", [](const Tensor& t, std::int64_t d, bool k) { return min(t, d, k); }, py::arg("dim"),
             py::arg("keepdim") = false, nogil())
        .def("min", [](const Tensor& a, const Tensor& b) { return minimum(a, b); }, nogil())
        .def("argmax", [](const Tensor& t, std::optional<std::int64_t> d, bool k) { return argmax(t, d, k); },
             py::arg("dim") = py::none(), py::arg("keepdim") = false, nogil())
        .def("argmin", [](const Tensor& t, std::optional<std::int64_t> d, bool k) { return argmin(t, d, k); },
             py::arg("dim") = py::none(), py::arg("keepdim") = false, nogil())
        .def("sort", [](const Tensor& t, std::int64_t d, bool desc) { return sort(t, d, desc); }, py::arg("dim") = -1,
             py::arg("descending") = false, nogil())
        .def("argsort", [](const Tensor& t, std::int64_t d, bool desc) { return argsort(t, d, desc); },
             py::arg("dim") = -1, py::arg("descending") = false, nogil())
        .def("topk", [](const Tensor& t, std::int64_t k, std::int64_t d, bool largest, bool sorted) {
            return topk(t, k, d, largest, sorted); }, py::arg("k"), py::arg("dim") = -1, py::arg("largest") = true,
            py::arg("sorted") = true, nogil());
}

void bind_in_place(py::class_<Tensor>& c) {
    using T = const Tensor&;
    using I = std::int64_t;
    using OptS = std::optional<Scalar>;
    c.def("zero_", in_place<>([](Tensor& t) { t.zero_(); }))
        .def("fill_", in_place<Scalar>([](Tensor& t, Scalar v) { t.fill_(v); }))
        .def("fill_", in_place<T>([](Tensor& t, T v) { t.copy_(v.expand(t.sizes())); }))
        .def("copy_", in_place<T>([](Tensor& t, T s) { t.copy_(s); }))
        .def("add_", in_place<T, Scalar>([](Tensor& t, T o, Scalar alpha) { t.add_(o, alpha); }), py::arg("other"),
             py::arg("alpha") = 1)
        .def("add_", in_place<Scalar>([](Tensor& t, Scalar o) { t.add_(o); }))
        .def("sub_", in_place<T, Scalar>([](Tensor& t, T o, Scalar alpha) { sub_(t, o, alpha); }), py::arg("other"),
             py::arg("alpha") = 1)
        .def("sub_", in_place<Scalar>([](Tensor& t, Scalar o) { t.sub_(o); }))
        .def("mul_", in_place<T>([](Tensor& t, T o) { t.mul_(o); }))
        .def("mul_", in_place<Scalar>([](Tensor& t, Scalar o) { t.mul_(o); }))
        .def("div_", in_place<T>([](Tensor& t, T o) { t.div_(o); }))
        .def("div_", in_place<Scalar>([](Tensor& t, Scalar o) { t.div_(o); }))
        .def("clamp_", in_place<OptS, OptS>([](Tensor& t, OptS lo, OptS hi) { t.clamp_(lo, hi); }),
             py::arg("min") = py::none(), py::arg("max") = py::none())
        .def("masked_fill_", in_place<T, Scalar>([](Tensor& t, T m, Scalar v) { t.masked_fill_(m, v); }),
             py::arg("mask"), py::arg("value"))
        .def("uniform_", in_place<double, double>([](Tensor& t, double a, double b) { t.uniform_(a, b); }),
             py::arg("a") = 0.0, py::arg("b") = 1.0)
        .def("normal_", in_place<double, double>([](Tensor& t, double m, double s) { t.normal_(m, s); }),
             py::arg("mean") = 0.0, py::arg("std") = 1.0)
        .def("index_add_", in_place<I, T, T, Scalar>([](Tensor& t, I d, T i, T s, Scalar a) { t.index_add_(d, i, s, a); }),
             py::arg("dim"), py::arg("index"), py::arg("source"), py::arg("alpha") = 1)
        .def("scatter_", in_place<I, T, T>([](Tensor& t, I d, T i, T s) { t.scatter_(d, i, s); }))
        .def("scatter_", in_place<I, T, Scalar>([](Tensor& t, I d, T i, Scalar v) { t.scatter_(d, i, v); }))
        .def("scatter_add_", in_place<I, T, T>([](Tensor& t, I d, T i, T s) { t.scatter_add_(d, i, s); }));
}

void bind_autograd_methods(py::class_<Tensor>& c) {
    c.def("requires_grad_", in_place<bool>([](Tensor& t, bool on) { t.requires_grad_(on); }),
          py::arg("requires_grad") = true)
        .def("detach", &Tensor::detach)
        .def("detach_", in_place<>([](Tensor& t) { t.detach_(); }))
        .def("retain_grad", &Tensor::retain_grad)
        .def("backward", [](const Tensor& t, const std::optional<Tensor>& g, std::optional<bool> retain, bool create) {
            py::gil_scoped_release r;
            t.backward(g.value_or(Tensor()), retain.value_or(create), create);
        }, py::arg("gradient") = py::none(), py::arg("retain_graph") = py::none(), py::arg("create_graph") = false)
        .def("register_hook", &register_hook);
    py::class_<HookHandle>(c, "_HookHandle").def("remove", &HookHandle::remove);
}

}  // namespace

void bind_tensor(py::module_& m) {
    py::class_<Tensor> c(m, "Tensor", py::buffer_protocol());
    // Tensor(t) is another handle to t (peso.nn.Parameter builds on it).
    c.def(py::init<const Tensor&>());
    bind_operators(c);
    bind_properties(c);
    bind_shape_methods(c);
    bind_math_methods(c);
    bind_reductions(c);
    bind_in_place(c);
    bind_autograd_methods(c);
    c.def("item", &item)
        .def("__float__", [](const Tensor& t) { return t.item<double>(); }, nogil())
        .def("__int__", [](const Tensor& t) { return t.item<std::int64_t>(); }, nogil())
        .def("__index__", [](const Tensor& t) {
            PESO_CHECK(!is_floating(t.dtype()), DTypeError, "only integer tensors of a single element can be an index");
            return t.item<std::int64_t>();
        })
        .def("__bool__", [](const Tensor& t) { return t.item<double>() != 0.0; }, nogil())
        .def("_to_dtype", [](const Tensor& t, DType d) { return to_dtype(t, d); }, nogil())
        .def("_to_device", [](const Tensor& t, Device d) { return to_device(t, d); }, nogil())
        .def("data_ptr", [](const Tensor& t) { return reinterpret_cast<std::uintptr_t>(t.data_ptr()); })
        .def("_shares_storage", &Tensor::shares_storage)
        .def("_version", &Tensor::version)
        .def("__repr__", [](const Tensor& t) {
            py::gil_scoped_release r;
            return t.str();
        });
    bind_indexing(c);
    bind_numpy(m, c);
}

}  // namespace peso::python
