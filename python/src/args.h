#pragma once
// Python's ways of passing shapes and dims, as PyTorch takes them:
// t.view(2, 3) or t.view((2, 3)); t.sum(dim=None | 1 | (0, 1)).
#include "python/src/bindings.h"

namespace peso::python {

// A shape given as separate ints or as one sequence.
inline Dims dims_from_args(const py::args& args) {
    if (args.size() == 1 && !PyIndex_Check(args[0].ptr())) return args[0].cast<Dims>();
    Dims d;
    for (const auto a : args) d.push_back(a.cast<std::int64_t>());
    return d;
}

// A reduction's dims: None (all), one int, or a sequence.
inline Dims dims_from_object(const py::object& dim) {
    if (dim.is_none()) return {};
    if (PyIndex_Check(dim.ptr())) return Dims{dim.cast<std::int64_t>()};
    return dim.cast<Dims>();
}

// The released GIL around an op: other Python threads run while peso computes.
using nogil = py::call_guard<py::gil_scoped_release>;

}  // namespace peso::python
