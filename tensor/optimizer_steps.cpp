// The fused optimizer step's front-end: checks the tensors, groups the tasks
// by device (one backend call, hence one parallel region or launch, per
// device), and marks what it wrote.
#include <algorithm>
#include <utility>
#include <vector>

#include "backends/registry.h"
#include "tensor/native.h"

namespace peso::native {

namespace {

// The backend tasks of each device the inputs live on, in input order.
template <typename Task, typename Input, typename MakeTask>
std::vector<std::pair<Device, std::vector<Task>>> group_by_device(const std::vector<Input>& inputs, MakeTask make) {
    std::vector<std::pair<Device, std::vector<Task>>> groups;  // a model's parameters share one or two
    for (const Input& t : inputs) {
        auto group = std::find_if(groups.begin(), groups.end(),
                                  [&](const auto& g) { return g.first == t.param.device(); });
        if (group == groups.end()) group = groups.insert(groups.end(), {t.param.device(), {}});
        group->second.push_back(make(t));
    }
    return groups;
}

}  // namespace

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
    for (const AdamStepTensors& t : tasks)
        PESO_CHECK(adam_step_fusable(t.param, t.grad, t.exp_avg, t.exp_avg_sq), ValueError,
                   "adam_step: needs contiguous float32/float64 tensors of one dtype, shape and device; got param {} "
                   "{} {}, grad {} {} {}, exp_avg {} {} {}, exp_avg_sq {} {} {}",
                   t.param.sizes(), t.param.dtype(), t.param.device(), t.grad.sizes(), t.grad.dtype(),
                   t.grad.device(), t.exp_avg.sizes(), t.exp_avg.dtype(), t.exp_avg.device(), t.exp_avg_sq.sizes(),
                   t.exp_avg_sq.dtype(), t.exp_avg_sq.device());
    const auto groups = group_by_device<AdamTask>(tasks, [](const AdamStepTensors& t) {
        return AdamTask{t.param.arg(), t.grad.arg(), t.exp_avg.arg(), t.exp_avg_sq.arg(), t.scalars};
    });
    for (const auto& [device, device_tasks] : groups) backend_for(device).adam_step(device_tasks);
    for (const AdamStepTensors& t : tasks)
        for (const Tensor* x : {&t.param, &t.exp_avg, &t.exp_avg_sq}) x->impl().storage->bump_version();
}

bool sgd_step_fusable(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer) {
    const DType t = param.dtype();
    if (t != DType::f32 && t != DType::f64) return false;
    for (const Tensor* x : {&param, &grad, &momentum_buffer}) {
        if (x == &momentum_buffer && !x->defined()) continue;
        if (!x->defined() || x->device() != param.device() || x->dtype() != t || !x->is_contiguous() ||
            x->sizes() != param.sizes())
            return false;
    }
    return true;
}

void sgd_step(const std::vector<SgdStepTensors>& tasks) {
    for (const SgdStepTensors& t : tasks)
        PESO_CHECK(sgd_step_fusable(t.param, t.grad, t.momentum_buffer) &&
                       (t.scalars.momentum == 0.0 || t.momentum_buffer.defined()),
                   ValueError,
                   "sgd_step: needs contiguous float32/float64 tensors of one dtype, shape and device (and a "
                   "momentum buffer when momentum != 0); got param {} {} {}, grad {} {} {}",
                   t.param.sizes(), t.param.dtype(), t.param.device(), t.grad.sizes(), t.grad.dtype(),
                   t.grad.device());
    const auto groups = group_by_device<SgdTask>(tasks, [](const SgdStepTensors& t) {
        const TensorArg buffer = t.scalars.momentum == 0.0 ? TensorArg{} : t.momentum_buffer.arg();
        return SgdTask{t.param.arg(), t.grad.arg(), buffer, t.new_buffer, t.scalars};
    });
    for (const auto& [device, device_tasks] : groups) backend_for(device).sgd_step(device_tasks);
    for (const SgdStepTensors& t : tasks) {
        t.param.impl().storage->bump_version();
        if (t.scalars.momentum != 0.0) t.momentum_buffer.impl().storage->bump_version();
    }
}

}  // namespace peso::native
