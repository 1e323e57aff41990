#include "autograd/accumulate_grad.h"

#include "autograd/autograd_meta.h"
#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "autograd/sole_owner.h"
#include "tensor/native.h"

namespace peso::autograd {

AccumulateGrad::AccumulateGrad(Tensor variable) : Node("AccumulateGrad"), variable_(std::move(variable)) {
    outputs().push_back({variable_.sizes(), variable_.dtype(), variable_.device()});
}

namespace {

// The gradient as a tensor the leaf may own: a tensor nobody else holds is
// kept as is, anything else (it may be another leaf's gradient too, or a
// broadcast view) is copied.
Tensor owned(const Tensor& g) {
    const bool alone = sole_owner(g);
    const Tensor d = g.detach();
    return alone ? d : native::clone(d);
}

}  // namespace

std::vector<Tensor> AccumulateGrad::apply(std::vector<Tensor>&& grads, bool create_graph) {
    Tensor& g = grads.at(0);
    AutogradMeta& m = meta(variable_);
    PESO_CHECK(g.sizes() == variable_.sizes(), ShapeError,
               "AccumulateGrad: gradient of shape {} does not match the leaf's shape {}", g.sizes(),
               variable_.sizes());
    if (g.dtype() != variable_.dtype()) g = native::to_dtype(g, variable_.dtype());
    if (!m.grad.defined()) {
        m.grad = create_graph ? g : owned(g);  // create_graph keeps the gradient's own history
    } else if (create_graph) {
        m.grad = peso::add(m.grad, g);  // out of place and recorded: the old .grad may be part of a graph
    } else {
        native::binary_(BinaryOp::add, m.grad, g);
    }
    for (auto& hook : m.post_accumulate_hooks) hook(variable_);
    return {};
}

}  // namespace peso::autograd

namespace peso::autograd {

std::shared_ptr<Node> grad_accumulator(const Tensor& t) {
    AutogradMeta& m = meta(t);
    if (auto acc = m.grad_accumulator.lock()) return acc;
    auto acc = std::make_shared<AccumulateGrad>(t);
    m.grad_accumulator = acc;
    return acc;
}

}  // namespace peso::autograd
