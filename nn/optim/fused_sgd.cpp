// The SGD update: the backend's fused sgd_step where the tensors allow it,
// the same formula as tensor ops elsewhere.
#include "nn/optim/fused_sgd.h"

#include "peso.h"

namespace peso::nn::optim {

bool sgd_update_fusable(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer) {
    return native::sgd_step_fusable(param, grad, momentum_buffer);
}

void sgd_update_fused_many(const std::vector<SGDFusedTask>& tasks) {
    std::vector<native::SgdStepTensors> steps;
    steps.reserve(tasks.size());
    for (const SGDFusedTask& t : tasks)
        steps.push_back({t.param, t.grad, t.momentum_buffer, t.new_buffer, t.coefficients});
    native::sgd_step(steps);
}

void sgd_update_fused(Tensor& param, const Tensor& grad, Tensor& momentum_buffer, const SGDCoefficients& c) {
    const bool new_buffer = c.momentum != 0.0 && !momentum_buffer.defined();
    if (new_buffer && sgd_update_fusable(param, grad, momentum_buffer))
        momentum_buffer = native::empty(param.sizes(), param.options());
    sgd_update_fused_many({{param, grad, momentum_buffer, new_buffer, c}});
}

void sgd_update_composite(Tensor& param, const Tensor& grad, Tensor& momentum_buffer, const SGDCoefficients& c) {
    NoGradGuard no_grad;
    Tensor d = c.maximize ? native::neg(grad) : grad;
    if (c.weight_decay != 0.0) d = native::add(d, param, c.weight_decay);
    if (c.momentum != 0.0) {
        if (!momentum_buffer.defined()) {
            momentum_buffer = native::empty(param.sizes(), param.options());
            native::copy_(momentum_buffer, d);
        } else {
            momentum_buffer.mul_(c.momentum).add_(d, 1.0 - c.dampening);
        }
        d = c.nesterov ? native::add(d, momentum_buffer, c.momentum) : momentum_buffer;
    }
    param.add_(d, -c.lr);
}

void sgd_update(Tensor& param, const Tensor& grad, Tensor& momentum_buffer, const SGDCoefficients& c) {
    if (!grad.is_contiguous()) {
        const Tensor dense = native::contiguous(grad);
        sgd_update(param, dense, momentum_buffer, c);
        return;
    }
    if (sgd_update_fusable(param, grad, momentum_buffer)) sgd_update_fused(param, grad, momentum_buffer, c);
    else sgd_update_composite(param, grad, momentum_buffer, c);
}

}  // namespace peso::nn::optim
