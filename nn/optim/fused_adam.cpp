// The Adam/AdamW update: the backend's fused adam_step where the tensors
// allow it, the same formula as tensor ops elsewhere.
#include "nn/optim/fused_adam.h"

#include <cmath>

#include "peso.h"

namespace peso::nn::optim {

AdamCoefficients AdamCoefficients::at_step(double step, double lr, double beta1, double beta2, double eps,
                                           double weight_decay, bool decoupled, bool maximize) {
    AdamCoefficients c;
    c.lr = lr;
    c.beta1 = beta1;
    c.beta2 = beta2;
    c.eps = eps;
    c.weight_decay = weight_decay;
    c.decoupled = decoupled;
    c.maximize = maximize;
    const double bias_correction1 = 1.0 - std::pow(beta1, step);
    const double bias_correction2 = 1.0 - std::pow(beta2, step);
    c.step_size = lr / bias_correction1;
    c.bias_correction2_sqrt = std::sqrt(bias_correction2);
    return c;
}

bool adam_update_fusable(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                         const Tensor& max_exp_avg_sq) {
    return !max_exp_avg_sq.defined() && native::adam_step_fusable(param, grad, exp_avg, exp_avg_sq);
}

void adam_update_fused_many(const std::vector<AdamFusedTask>& tasks) {
    std::vector<native::AdamStepTensors> steps;
    steps.reserve(tasks.size());
    for (const AdamFusedTask& t : tasks) steps.push_back({t.param, t.grad, t.exp_avg, t.exp_avg_sq, t.coefficients});
    native::adam_step(steps);
}

void adam_update_fused(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,
                       const AdamCoefficients& c) {
    adam_update_fused_many({{param, grad, exp_avg, exp_avg_sq, c}});
}

void adam_update_composite(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,
                           Tensor& max_exp_avg_sq, const AdamCoefficients& c) {
    NoGradGuard no_grad;
    Tensor g = c.maximize ? native::neg(grad) : grad;
    if (c.decoupled) param.mul_(1.0 - c.lr * c.weight_decay);
    else if (c.weight_decay != 0.0) g = native::add(g, param, c.weight_decay);
    exp_avg.mul_(c.beta1).add_(g, 1.0 - c.beta1);
    exp_avg_sq.mul_(c.beta2).add_(native::mul(native::mul(g, 1.0 - c.beta2), g));
    Tensor v_hat = exp_avg_sq;
    if (max_exp_avg_sq.defined()) {
        native::copy_(max_exp_avg_sq, native::maximum(max_exp_avg_sq, exp_avg_sq));
        v_hat = max_exp_avg_sq;
    }
    Tensor denom = native::div(native::sqrt(v_hat), c.bias_correction2_sqrt);
    denom.add_(c.eps);
    param.add_(native::div(native::mul(exp_avg, -c.step_size), denom));
}

void adam_update(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq, Tensor& max_exp_avg_sq,
                 const AdamCoefficients& c) {
    if (!max_exp_avg_sq.defined() && !grad.is_contiguous()) {
        const Tensor dense = native::contiguous(grad);
        adam_update(param, dense, exp_avg, exp_avg_sq, max_exp_avg_sq, c);
        return;
    }
    if (adam_update_fusable(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq))
        adam_update_fused(param, grad, exp_avg, exp_avg_sq, c);
    else
        adam_update_composite(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, c);
}

}  // namespace peso::nn::optim
