// peso.autograd.Function's compiled part: the graph node of a Python Function
// subclass. Its backward runs inside the engine without the GIL, takes the
// GIL, and calls the Python staticmethod (through peso/autograd/function.py,
// which maps its result to one gradient per tensor input).
#include "autograd/autograd_meta.h"
#include "autograd/function.h"
#include "python/src/args.h"

namespace peso::python {
namespace {

using autograd::BackwardContext;
using autograd::FunctionNode;
using autograd::SavedTensor;
using autograd::TensorList;

std::vector<SavedTensor> save(const std::vector<Tensor>& tensors, const std::vector<bool>& is_output,
                              const std::vector<Tensor>& outputs) {
    PESO_CHECK(tensors.size() == is_output.size(), ValueError,
               "autograd.Function: {} saved tensors but {} is_output flags", tensors.size(), is_output.size());
    std::vector<SavedTensor> saved;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        saved.emplace_back(tensors[i], is_output[i]);
        saved.back().bind_output(outputs);
    }
    return saved;
}

// backward(saved, grads) -> one gradient (or None) per input, called with the
// GIL held; the saved tensors are unpacked (and version-checked) before.
autograd::BackwardFn python_backward(py::function backward, std::size_t n_saved, std::size_t n_inputs) {
    GilCallable call(std::move(backward));
    return [call, n_saved, n_inputs](const BackwardContext& ctx, const TensorList& grads) {
        TensorList saved;
        for (std::size_t i = 0; i < n_saved; ++i) saved.push_back(ctx.saved(i));
        py::gil_scoped_acquire gil;
        const py::object result = call.call(saved, grads);
        TensorList out;
        for (const auto g : result) out.push_back(g.is_none() ? Tensor() : g.cast<Tensor>());
        PESO_CHECK(out.size() == n_inputs, Error,
                   "autograd.Function: backward gave {} gradients for {} tensor inputs", out.size(), n_inputs);
        return out;
    };
}

// Makes `name` the grad_fn of `outputs` (floating tensors the forward made
// under no_grad), with one edge per input. record() (autograd/function.h)
// does the same for the registered ops, which the C++ gradcheck suite must
// cover; a Python Function is the user's op, checked by the user's gradcheck.
void record_function(const std::string& name, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                     const std::vector<Tensor>& to_save, const std::vector<bool>& saved_is_output,
                     py::function backward) {
    for (const Tensor& o : outputs)
        PESO_CHECK(o.is_floating_point() && !o.requires_grad(), DTypeError,
                   "autograd.Function {}: a differentiable output must be a floating tensor without history", name);
    auto fn = python_backward(std::move(backward), to_save.size(), inputs.size());
    auto node = std::make_shared<FunctionNode>(name, std::move(fn), save(to_save, saved_is_output, outputs));
    for (const Tensor& in : inputs) node->next_edges().push_back(autograd::gradient_edge(in));
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        const Tensor& out = outputs[i];
        node->outputs().push_back({out.sizes(), out.dtype(), out.device()});
        AutogradMeta& m = autograd::meta(out);
        m.grad_fn = node;
        m.output_nr = static_cast<int>(i);
        m.requires_grad = true;
    }
}

}  // namespace

void bind_function(py::module_& a) {
    a.def("record_function", &record_function, py::arg("name"), py::arg("inputs"), py::arg("outputs"),
          py::arg("saved"), py::arg("saved_is_output"), py::arg("backward"));
}

}  // namespace peso::python
