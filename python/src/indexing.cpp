// NumPy-style indexing, as PyTorch's: ints select, slices (step > 0) narrow,
// None adds a dim, ... covers the dims not named; all of these are views.
// Integer tensors and lists (several, if adjacent: broadcast together) and
// bool masks gather copies, through one index_select over the flattened
// indexed dims, so gradients flow through both kinds. Assignment writes
// through the basic view (fill_/copy_), masks with masked_fill_/where, and one
// integer index with index_add_ of the difference.
#include <vector>

#include "python/src/args.h"

namespace peso::python {
namespace {

enum class Kind { select, slice, none, ellipsis, advanced };

struct Item {
    Kind kind;
    std::int64_t index = 0;  // select
    py::slice slice = py::slice(0, 0, 1);
    std::vector<Tensor> advanced;  // integer index tensors (a mask gives one per dim it covers)
};

std::vector<py::object> as_items(const py::object& index) {
    std::vector<py::object> items;
    if (PyTuple_Check(index.ptr())) {
        for (const auto i : py::reinterpret_borrow<py::tuple>(index)) items.push_back(py::reinterpret_borrow<py::object>(i));
    } else {
        items.push_back(index);
    }
    return items;
}

// The integer index tensors a bool mask stands for (one per masked dim), on the host.
std::vector<Tensor> mask_positions(const Tensor& mask) {
    const Tensor host = mask.to(Device::cpu()).contiguous();
    const bool* m = host.data_ptr<bool>();
    const Dims shape = host.sizes();
    std::vector<std::vector<std::int64_t>> pos(shape.size());
    for (std::int64_t flat = 0; flat < host.numel(); ++flat) {
        if (!m[flat]) continue;
        std::int64_t rest = flat;
        for (int d = shape.size() - 1; d >= 0; --d) {
            pos[d].push_back(rest % shape[d]);
            rest /= shape[d];
        }
    }
    std::vector<Tensor> out;
    for (auto& p : pos) out.push_back(from_vector(p, Dims{static_cast<std::int64_t>(p.size())}, mask.device()));
    return out;
}

Tensor index_tensor(const py::object& o) {
    if (py::isinstance<Tensor>(o)) return o.cast<Tensor>();
    // A list of ints or bools, through numpy as peso.tensor() would.
    py::object arr = py::module_::import("numpy").attr("asarray")(o);
    return py::module_::import("peso").attr("from_numpy")(arr).cast<Tensor>().clone();
}

Item parse_item(const py::object& o) {
    if (o.is_none()) return {Kind::none};
    if (o.ptr() == Py_Ellipsis) return {Kind::ellipsis};
    if (PySlice_Check(o.ptr())) return {Kind::slice, 0, py::reinterpret_borrow<py::slice>(o)};
    if (!PyBool_Check(o.ptr()) && PyIndex_Check(o.ptr()) && !py::isinstance<Tensor>(o))
        return {Kind::select, o.cast<std::int64_t>()};
    if (py::isinstance<Tensor>(o) || PyList_Check(o.ptr())) {
        const Tensor t = index_tensor(o);
        if (t.dtype() == DType::b8) return {Kind::advanced, 0, py::slice(0, 0, 1), mask_positions(t)};
        PESO_CHECK(t.dtype() == DType::i64 || t.dtype() == DType::i32, IndexError,
                   "indexing: tensors used as indices must be integer or bool, got {}", t.dtype());
        return {Kind::advanced, 0, py::slice(0, 0, 1), {t.to(DType::i64)}};
    }
    throw py::type_error("indexing: only ints, slices, None, ..., lists and integer or bool tensors are valid indices, "
                         "got " + std::string(py::str(o.get_type())));
}

// How many of the tensor's dims an item uses up.
int dims_used(const Item& it) {
    if (it.kind == Kind::select || it.kind == Kind::slice) return 1;
    if (it.kind == Kind::advanced) return static_cast<int>(it.advanced.size());
    return 0;
}

struct Indexed {
    Tensor view;                    // after the basic items
    int advanced_dim = -1;          // where the advanced indices start in `view`
    std::vector<Tensor> advanced;   // the index tensors, for consecutive dims
};

Indexed apply_basic(const Tensor& self, const py::object& index) {
    std::vector<Item> items;
    for (const auto& o : as_items(index)) items.push_back(parse_item(o));
    int used = 0, ellipses = 0;
    for (const auto& it : items) {
        used += dims_used(it);
        ellipses += it.kind == Kind::ellipsis;
    }
    PESO_CHECK(ellipses <= 1, IndexError, "indexing: an index can only have a single ellipsis ('...')");
    PESO_CHECK(used <= self.dim(), IndexError, "indexing: too many indices for a tensor of dimension {}",
               self.dim());
    Indexed r{self};
    int d = 0;
    bool advanced_done = false;
    for (const auto& it : items) {
        switch (it.kind) {
            case Kind::select: r.view = r.view.select(d, it.index); break;
            case Kind::none: r.view = r.view.unsqueeze(d++); break;
            case Kind::ellipsis: d += self.dim() - used; break;
            case Kind::slice: {
                Py_ssize_t start, stop, step;
                if (PySlice_Unpack(it.slice.ptr(), &start, &stop, &step) < 0) throw py::error_already_set();
                PESO_CHECK(step > 0, ValueError, "indexing: slice step must be positive, got {}", step);
                PySlice_AdjustIndices(r.view.size(d), &start, &stop, step);
                r.view = r.view.slice(d++, start, std::max(start, stop), step);
                break;
            }
            case Kind::advanced:
                PESO_CHECK(r.advanced_dim < 0 || !advanced_done, NotImplementedError,
                           "indexing: tensor indices must be next to each other");
                if (r.advanced_dim < 0) r.advanced_dim = d;
                r.advanced.insert(r.advanced.end(), it.advanced.begin(), it.advanced.end());
                d += static_cast<int>(it.advanced.size());
                break;
        }
        if (r.advanced_dim >= 0 && it.kind != Kind::advanced && it.kind != Kind::ellipsis) advanced_done = true;
    }
    return r;
}

// One flat index into dims [first, first + k) of x, the index tensors broadcast together.
Tensor linear_index(const Tensor& x, int first, const std::vector<Tensor>& idx) {
    Tensor linear;
    for (std::size_t i = 0; i < idx.size(); ++i) {
        const std::int64_t n = x.size(first + static_cast<int>(i));
        const Tensor wrapped = where(lt(idx[i], 0), add(idx[i], n), idx[i]);
        PESO_CHECK(!any(logical_or(lt(wrapped, 0), ge(wrapped, n))).item<bool>(), IndexError,
                   "indexing: index out of range for dim {} of size {}", first + i, n);
        linear = linear.defined() ? add(mul(linear, n), wrapped) : wrapped;
    }
    return linear;
}

Tensor get_item(const Tensor& self, const py::object& index) {
    const Indexed r = apply_basic(self, index);
    if (r.advanced.empty()) return r.view;
    py::gil_scoped_release nogil;
    const int d = r.advanced_dim, k = static_cast<int>(r.advanced.size());
    const Tensor linear = linear_index(r.view, d, r.advanced);
    const Tensor flat = r.view.flatten(d, d + k - 1);
    const Tensor picked = index_select(flat, d, linear.flatten());
    Dims shape;
    for (int i = 0; i < d; ++i) shape.push_back(r.view.size(i));
    for (auto s : linear.sizes()) shape.push_back(s);
    for (int i = d + k; i < r.view.dim(); ++i) shape.push_back(r.view.size(i));
    return picked.reshape(shape);
}

void set_item(Tensor& self, const py::object& index, const py::object& value) {
    // A whole-shape bool mask: masked_fill_ (numbers) or where (tensors).
    if (py::isinstance<Tensor>(index) && index.cast<Tensor>().dtype() == DType::b8) {
        const Tensor mask = index.cast<Tensor>();
        if (mask.sizes() == self.sizes()) {
            if (!py::isinstance<Tensor>(value)) {
                const Scalar v = value.cast<Scalar>();
                py::gil_scoped_release nogil;
                self.masked_fill_(mask, v);
            } else {
                const Tensor v = value.cast<Tensor>();
                py::gil_scoped_release nogil;
                self.copy_(where(mask, v.to(self.dtype()), self));
            }
            return;
        }
    }
    Indexed r = apply_basic(self, index);
    const Tensor v = as_tensor_like(value, self);
    py::gil_scoped_release nogil;
    if (r.advanced.empty()) {
        r.view.copy_(v);
        return;
    }
    PESO_CHECK(r.advanced.size() == 1, NotImplementedError,
               "index assignment: one tensor index (or a mask over the whole tensor) is supported, got {}",
               r.advanced.size());
    const int d = r.advanced_dim;
    const Tensor idx = linear_index(r.view, d, r.advanced).flatten();
    const Tensor current = index_select(r.view, d, idx);
    r.view.index_add_(d, idx, sub(expand(v, current.sizes()), current));
}

}  // namespace

Tensor as_tensor_like(py::handle value, const Tensor& like) {
    if (py::isinstance<Tensor>(value)) return value.cast<Tensor>();
    py::object t = py::module_::import("peso").attr("tensor")(value, py::arg("dtype") = like.dtype(),
                                                              py::arg("device") = like.device());
    return t.cast<Tensor>();
}

void bind_indexing(py::class_<Tensor>& cls) {
    cls.def("__getitem__", &get_item).def("__setitem__", &set_item);
}

}  // namespace peso::python
