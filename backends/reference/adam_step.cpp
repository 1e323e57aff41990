// Reference Adam/AdamW: each element's update in double from the stored
// values, rounded to the dtype once per stored result. The fast backends
// round after every operation, as torch.optim does; they agree with this to
// within those roundings.
#include <cmath>

#include "backends/reference/reference_backend.h"

namespace peso {

namespace {

template <typename T> void adam_reference(const AdamTask& task) {
    const AdamScalars& s = task.scalars;
    T* p = task.param.ptr<T>();
    const T* grad = task.grad.ptr<T>();
    T* m = task.exp_avg.ptr<T>();
    T* v = task.exp_avg_sq.ptr<T>();
    for (std::int64_t i = 0; i < task.param.numel(); ++i) {
        double param = p[i], g = s.maximize ? -static_cast<double>(grad[i]) : grad[i];
        if (s.decoupled) param *= 1.0 - s.lr * s.weight_decay;
        else g += s.weight_decay * param;
        const double mi = s.beta1 * m[i] + (1.0 - s.beta1) * g;
        const double vi = s.beta2 * v[i] + (1.0 - s.beta2) * g * g;
        param -= s.step_size * mi / (std::sqrt(vi) / s.bias_correction2_sqrt + s.eps);
        p[i] = static_cast<T>(param);
        m[i] = static_cast<T>(mi);
        v[i] = static_cast<T>(vi);
    }
}

}  // namespace

void ReferenceBackend::adam_step(std::span<const AdamTask> tasks) {
    for (const AdamTask& task : tasks) {
        visit_floating(task.param.dtype, "adam_step", [&](auto tag) {
            adam_reference<typename decltype(tag)::type>(task);
        });
    }
}

}  // namespace peso
