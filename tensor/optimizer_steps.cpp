// The fused optimizer step's front-end: checks the tensors, groups the tasks
// by device (one backend call, hence one parallel region or launch, per
// device), and marks what it wrote.
#include <algorithm>
#include <utility>
#include <vector>

#include "backends/registry.h"
#include "tensor/native.h"

namespace peso::native {

bool adam_step_fusable(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq) {
    const DType t = param.dtype();
    if (t != DType::f32 && t != DType::f64) return false;
    for (const Tensor* x : {&param, &grad, &exp_avg, &exp_avg_sq})
        if (!x->defined() || x->device() != param.device() || x->dtype() != t || !x->is_contiguous() ||
            x->sizes() != param.sizes())
            return false;
    return true;
}

void adam_step(const std::vector<AdamStepTensors>& tasks) {
    std::vector<std::pair<Device, std::vector<AdamTask>>> by_device;  // a model's parameters share one or two
    for (const AdamStepTensors& t : tasks) {
        PESO_CHECK(adam_step_fusable(t.param, t.grad, t.exp_avg, t.exp_avg_sq), ValueError,
                   "adam_step: needs contiguous float32/float64 tensors of one dtype, shape and device; got param {} "
                   "{} {}, grad {} {} {}, exp_avg {} {} {}, exp_avg_sq {} {} {}",
                   t.param.sizes(), t.param.dtype(), t.param.device(), t.grad.sizes(), t.grad.dtype(),
                   t.grad.device(), t.exp_avg.sizes(), t.exp_avg.dtype(), t.exp_avg.device(), t.exp_avg_sq.sizes(),
                   t.exp_avg_sq.dtype(), t.exp_avg_sq.device());
        auto group = std::find_if(by_device.begin(), by_device.end(),
                                  [&](const auto& g) { return g.first == t.param.device(); });
        if (group == by_device.end()) group = by_device.insert(by_device.end(), {t.param.device(), {}});
        group->second.push_back({t.param.arg(), t.grad.arg(), t.exp_avg.arg(), t.exp_avg_sq.arg(), t.scalars});
    }
    for (const auto& [device, device_tasks] : by_device) backend_for(device).adam_step(device_tasks);
    for (const AdamStepTensors& t : tasks)
        for (const Tensor* x : {&t.param, &t.exp_avg, &t.exp_avg_sq}) x->impl().storage->bump_version();
}

}  // namespace peso::native
