// The free functions that are not Tensor methods (those are reached as
// peso.exp(x) == x.exp() through peso/__init__.py): joining, where, einsum.
#include "python/src/args.h"

namespace peso::python {

void bind_ops(py::module_& m) {
    m.def("cat", [](const std::vector<Tensor>& ts, std::int64_t d) { return cat(ts, d); }, py::arg("tensors"),
          py::arg("dim") = 0, nogil());
    m.def("concat", [](const std::vector<Tensor>& ts, std::int64_t d) { return cat(ts, d); }, py::arg("tensors"),
          py::arg("dim") = 0, nogil());
    m.def("stack", [](const std::vector<Tensor>& ts, std::int64_t d) { return stack(ts, d); }, py::arg("tensors"),
          py::arg("dim") = 0, nogil());
    m.def("where", [](const Tensor& c, const Tensor& a, const Tensor& b) { return where(c, a, b); },
          py::arg("condition"), py::arg("input"), py::arg("other"), nogil());
    m.def("where", [](const Tensor& c, Scalar a, const Tensor& b) { return where(c, a, b); }, py::arg("condition"),
          py::arg("input"), py::arg("other"), nogil());
    m.def("where", [](const Tensor& c, const Tensor& a, Scalar b) { return where(c, a, b); }, py::arg("condition"),
          py::arg("input"), py::arg("other"), nogil());
    m.def("einsum", [](const std::string& eq, const py::args& operands) {
        std::vector<Tensor> ts;
        if (operands.size() == 1 && !py::isinstance<Tensor>(operands[0])) ts = operands[0].cast<std::vector<Tensor>>();
        else for (const auto o : operands) ts.push_back(o.cast<Tensor>());
        py::gil_scoped_release r;
        return einsum(eq, ts);
    });
    m.def("one_hot", [](const Tensor& t, std::int64_t n) { return one_hot(t, n); }, py::arg("tensor"),
          py::arg("num_classes") = -1, nogil());
    m.def("floor_divide", [](const Tensor& a, const Tensor& b) { return floor_divide(a, b); }, nogil());
    m.def("remainder", [](const Tensor& a, const Tensor& b) { return remainder(a, b); }, nogil());
    m.def("logical_and", [](const Tensor& a, const Tensor& b) { return logical_and(a, b); }, nogil());
    m.def("logical_or", [](const Tensor& a, const Tensor& b) { return logical_or(a, b); }, nogil());
    m.def("logical_xor", [](const Tensor& a, const Tensor& b) { return logical_xor(a, b); }, nogil());
}

}  // namespace peso::python
