// peso.autograd: grad mode, backward, grad (with create_graph), gradcheck.
// backward and gradcheck run without the GIL; a Python hook or function they
// call takes it back (GilCallable).
#include "python/src/args.h"

namespace peso::python {
namespace {

std::vector<Tensor> tensors_of(const py::object& o) {
    if (py::isinstance<Tensor>(o)) return {o.cast<Tensor>()};
    std::vector<Tensor> out;
    for (const auto t : o) out.push_back(t.is_none() ? Tensor() : t.cast<Tensor>());
    return out;
}

py::tuple as_tuple(const std::vector<Tensor>& ts) {
    py::tuple out(ts.size());
    for (std::size_t i = 0; i < ts.size(); ++i) out[i] = ts[i].defined() ? py::cast(ts[i]) : py::none();
    return out;
}

// A Python function of tensors as gradcheck's C++ function: its result (a
// tensor or a sequence of them) as a vector.
autograd::GradcheckFn gradcheck_fn(py::function fn) {
    GilCallable call(std::move(fn));
    return [call](const std::vector<Tensor>& inputs) {
        py::gil_scoped_acquire gil;
        py::tuple args(inputs.size());
        for (std::size_t i = 0; i < inputs.size(); ++i) args[i] = py::cast(inputs[i]);
        return tensors_of(call(args));
    };
}

py::object run_gradcheck(bool second_order, py::function fn, const py::object& inputs, double eps, double atol,
                         double rtol, bool raise) {
    const autograd::GradcheckOptions opts{eps, atol, rtol, raise};
    const auto f = gradcheck_fn(std::move(fn));
    const auto in = tensors_of(inputs);
    py::gil_scoped_release r;
    const auto res = second_order ? autograd::gradgradcheck(f, in, opts) : autograd::gradcheck(f, in, opts);
    py::gil_scoped_acquire g;
    return py::bool_(res.ok);
}

}  // namespace

void bind_autograd(py::module_& m) {
    m.def("is_grad_enabled", &autograd::grad_enabled);
    m.def("_set_grad_enabled", &autograd::set_grad_enabled);
    m.def("is_anomaly_enabled", &autograd::anomaly_enabled);
    m.def("_set_anomaly_enabled", &autograd::set_anomaly_enabled);

    py::module_ a = m.def_submodule("_autograd", "peso.autograd's compiled part");
    a.def("backward", [](const py::object& tensors, const py::object& grads, std::optional<bool> retain, bool create) {
        const auto roots = tensors_of(tensors);
        const auto g = grads.is_none() ? std::vector<Tensor>{} : tensors_of(grads);
        py::gil_scoped_release r;
        autograd::backward(roots, g, retain.value_or(create), create);
    }, py::arg("tensors"), py::arg("grad_tensors") = py::none(), py::arg("retain_graph") = py::none(),
       py::arg("create_graph") = false);
    a.def("grad", [](const py::object& outputs, const py::object& inputs, const py::object& grad_outputs,
                     std::optional<bool> retain, bool create, bool allow_unused) {
        const auto outs = tensors_of(outputs), ins = tensors_of(inputs);
        const auto g = grad_outputs.is_none() ? std::vector<Tensor>{} : tensors_of(grad_outputs);
        std::vector<Tensor> grads;
        {
            py::gil_scoped_release r;
            grads = autograd::grad(outs, ins, g, retain, create, allow_unused);
        }
        return as_tuple(grads);
    }, py::arg("outputs"), py::arg("inputs"), py::arg("grad_outputs") = py::none(),
       py::arg("retain_graph") = py::none(), py::arg("create_graph") = false, py::arg("allow_unused") = false);
    a.def("gradcheck", [](py::function fn, const py::object& in, double eps, double atol, double rtol, bool raise) {
        return run_gradcheck(false, std::move(fn), in, eps, atol, rtol, raise);
    }, py::arg("func"), py::arg("inputs"), py::kw_only(), py::arg("eps") = 1e-6, py::arg("atol") = 1e-5,
       py::arg("rtol") = 1e-3, py::arg("raise_exception") = true);
    a.def("gradgradcheck", [](py::function fn, const py::object& in, double eps, double atol, double rtol,
                              bool raise) { return run_gradcheck(true, std::move(fn), in, eps, atol, rtol, raise); },
          py::arg("func"), py::arg("inputs"), py::kw_only(), py::arg("eps") = 1e-6, py::arg("atol") = 1e-5,
          py::arg("rtol") = 1e-3, py::arg("raise_exception") = true);
    bind_function(a);
}

}  // namespace peso::python
