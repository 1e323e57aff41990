// peso._C: the extension's entry point; each concept binds its own part
// (bindings.h). The Python package peso/ builds PyTorch's API on top.
#include "python/src/bindings.h"

PYBIND11_MODULE(_C, m) {
    namespace p = peso::python;
    m.doc() = "peso: an autodiff and tensor engine in C++20 (the compiled part of the Python module)";
    p::bind_types(m);
    p::bind_tensor(m);
    p::bind_creation(m);
    p::bind_ops(m);
    p::bind_autograd(m);
    p::bind_nn(m);
    p::bind_optim(m);
    p::bind_models(m);
    p::bind_cuda(m);
}
