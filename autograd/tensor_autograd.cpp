// Tensor's autograd methods (declared in tensor/tensor.h).
#include "autograd/autograd_meta.h"
#include "autograd/engine.h"
#include "autograd/function.h"
#include "tensor/native.h"

namespace peso {

using namespace autograd;

bool Tensor::requires_grad() const { return autograd::requires_grad(*this); }

Tensor& Tensor::requires_grad_(bool enabled) {
    PESO_CHECK(!enabled || is_floating(dtype()), DTypeError,
               "requires_grad_: only floating tensors can require gradients, this one is {}", dtype());
    AutogradMeta& m = meta(*this);
    PESO_CHECK(enabled || !m.grad_fn, Error,
               "requires_grad_(false): this tensor is the output of an op with gradient history; use detach() to get "
               "a tensor without it");
    m.requires_grad = enabled;
    return *this;
}

Tensor Tensor::grad() const {
    const AutogradMeta* m = meta_or_null(*this);
    return m ? m->grad : Tensor();
}

void Tensor::set_grad(const Tensor& g) const {
    if (g.defined())
        PESO_CHECK(g.sizes() == sizes(), ShapeError, "set_grad: gradient of shape {} for a tensor of shape {}",
                   g.sizes(), sizes());
    meta(*this).grad = g;
}

bool Tensor::is_leaf() const { return autograd::is_leaf(*this); }

std::shared_ptr<autograd::Node> Tensor::grad_fn() const {
    autograd::requires_grad(*this);  // brings a stale view's history up to date
    const AutogradMeta* m = meta_or_null(*this);
    return m ? m->grad_fn : nullptr;
}

void Tensor::backward(const Tensor& gradient, bool retain_graph, bool create_graph) const {
    autograd::backward({*this}, gradient.defined() ? std::vector<Tensor>{gradient} : std::vector<Tensor>{},
                       retain_graph, create_graph);
}

void Tensor::retain_grad() const {
    PESO_CHECK(autograd::requires_grad(*this), Error, "retain_grad: the tensor does not require grad");
    AutogradMeta& m = meta(*this);
    if (!m.grad_fn || m.retains_grad) return;  // leaves keep their gradient anyway
    m.retains_grad = true;
    std::weak_ptr<AutogradMeta> weak = impl().autograd;
    m.grad_fn->add_pre_hook(m.output_nr, [weak](const Tensor& g) -> Tensor {
        if (auto mm = weak.lock()) mm->grad = mm->grad.defined() ? native::add(mm->grad, g) : native::clone(g.detach());
        return {};
    });
}

void Tensor::register_hook(std::function<Tensor(const Tensor&)> hook) const {
    PESO_CHECK(autograd::requires_grad(*this), Error,
               "register_hook: cannot register a hook on a tensor that does not require grad");
    AutogradMeta& m = meta(*this);
    if (m.grad_fn) m.grad_fn->add_pre_hook(m.output_nr, std::move(hook));
    else m.leaf_hooks.push_back(std::move(hook));
}

void Tensor::register_post_accumulate_grad_hook(std::function<void(Tensor&)> hook) const {
    PESO_CHECK(autograd::requires_grad(*this) && is_leaf(), Error,
               "register_post_accumulate_grad_hook: only leaf tensors that require grad accumulate gradients");
    meta(*this).post_accumulate_hooks.push_back(std::move(hook));
}

}  // namespace peso
