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

using DeviceGroups = std::vector<std::pair<Device, std::vector<Tensor>>>;

// The gradients of each device, in order of first appearance.
DeviceGroups by_device(const std::vector<Tensor>& grads) {
    DeviceGroups groups;
    for (const Tensor& g : grads) {
        auto group = std::find_if(groups.begin(), groups.end(), [&](const auto& d) { return d.first == g.device(); });
        if (group == groups.end()) group = groups.insert(groups.end(), {g.device(), {}});
        group->second.push_back(g);
    }
    return groups;
}

// sum |g|^p (or max |g|) over all gradients: one backend call per device
// (one parallel region, or a few launches, for all of a device's gradients).
double power_sum(const std::vector<Tensor>& grads, double p) {
    const bool inf = std::isinf(p);
    double total = 0.0;
    for (const auto& [device, device_grads] : by_device(grads)) {
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

Tensor clip_grad_norm_tensor_(const std::vector<Tensor>& params, double max_norm, double norm_type,
                              bool error_if_nonfinite) {
    const std::vector<Tensor> grads = defined_grads(params);
    // On the host the norm costs no wait: the double path, which skips the no-op scaling.
    if (grads.empty() || grads.front().device().is_cpu() || error_if_nonfinite)
        return scalar_tensor(clip_grad_norm_(params, max_norm, norm_type, error_if_nonfinite), DType::f64);
    PESO_CHECK(norm_type > 0.0, ValueError, "clip_grad_norm_tensor_: norm_type must be positive or infinite, got {}",
               norm_type);
    NoGradGuard no_grad;
    const bool inf = std::isinf(norm_type);
    const Device home = grads.front().device();
    std::vector<Tensor> partial;
    for (const auto& [device, device_grads] : by_device(grads)) {
        const Tensor powers = native::norm_powers(device_grads, norm_type);
        partial.push_back((inf ? amax(powers, {0}) : sum(powers, {0})).to(home));
    }
    Tensor acc = partial.front();
    for (std::size_t i = 1; i < partial.size(); ++i) acc = inf ? maximum(acc, partial[i]) : add(acc, partial[i]);
    const Tensor total = inf || norm_type == 1.0 ? acc
                         : norm_type == 2.0     ? sqrt(acc)
                                                : pow(acc, 1.0 / norm_type);
    const Tensor coef = clamp(div(Scalar(max_norm), add(total, 1e-6)), std::nullopt, 1.0);
    for (Tensor g : grads) g.mul_(coef.to(g.device()).to(g.dtype()));
    return total;
}

void clip_grad_value_(const std::vector<Tensor>& params, double clip_value) {
    NoGradGuard no_grad;
    for (Tensor g : defined_grads(params)) g.clamp_(-clip_value, clip_value);
}

}  // namespace peso::nn
