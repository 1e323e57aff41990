#include "nn/clip_grad.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "peso.h"

namespace peso::nn {

namespace {

double combine(double total, double v, bool inf) {
    if (!inf) return total + v;
    return (v > total || v != v) ? v : total;
}

// sum |g|^p (or max |g|) over all gradients: one backend call per device
// (one parallel region, or a few launches, for all of a device's gradients).
double power_sum(const std::vector<Tensor>& grads, double p) {
    std::vector<std::pair<Device, std::vector<Tensor>>> by_device;
    for (const Tensor& g : grads) {
        auto group = std::find_if(by_device.begin(), by_device.end(),
                                  [&](const auto& d) { return d.first == g.device(); });
        if (group == by_device.end()) group = by_device.insert(by_device.end(), {g.device(), {}});
        group->second.push_back(g);
    }
    const bool inf = std::isinf(p);
    double total = 0.0;
    for (const auto& [device, device_grads] : by_device) {
        const Tensor powers = native::to_device(native::norm_powers(device_grads, p), Device::cpu());
        const double* v = powers.data_ptr<double>();
        for (std::int64_t i = 0; i < powers.numel(); ++i) total = combine(total, v[i], inf);
    }
    return total;
}

std::vector<Tensor> defined_grads(const std::vector<Tensor>& params) {
    std::vector<Tensor> grads;
    for (const Tensor& p : params) {
        Tensor g = p.grad();
        if (g.defined()) grads.push_back(g);
    }
    return grads;
}

}  // namespace

double grad_norm(const std::vector<Tensor>& params, double norm_type) {
    PESO_CHECK(norm_type > 0.0, ValueError, "grad_norm: norm_type must be positive or infinite, got {}", norm_type);
    NoGradGuard no_grad;
    const std::vector<Tensor> grads = defined_grads(params);
    if (grads.empty()) return 0.0;
    const double acc = power_sum(grads, norm_type);
    if (std::isinf(norm_type) || norm_type == 1.0) return acc;
    if (norm_type == 2.0) return std::sqrt(acc);
    return std::pow(acc, 1.0 / norm_type);
}

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type, bool error_if_nonfinite) {
    const std::vector<Tensor> grads = defined_grads(params);
    if (grads.empty()) return 0.0;
    const double total = grad_norm(params, norm_type);
    PESO_CHECK(!error_if_nonfinite || std::isfinite(total), ValueError,
               "clip_grad_norm_: the total norm of order {} of the gradients is {}; set error_if_nonfinite=false "
               "to clip anyway",
               norm_type, total);
    const double coef = std::min(max_norm / (total + 1e-6), 1.0);
    // PyTorch multiplies even when the coefficient is 1 (a no-op), so skip it then; NaN still propagates.
    if (coef == 1.0) return total;
    NoGradGuard no_grad;
    for (Tensor g : grads) g.mul_(coef);
    return total;
}

void clip_grad_value_(const std::vector<Tensor>& params, double clip_value) {
    NoGradGuard no_grad;
    for (Tensor g : defined_grads(params)) g.clamp_(-clip_value, clip_value);
}

}  // namespace peso::nn
