// Reference SGD: each element's update in double from the stored values,
// rounded to the dtype once per stored result. The fast backends round after
// every operation, as torch.optim does; they agree with this to within those
// roundings.
#include "backends/reference/reference_backend.h"

namespace peso {

namespace {

template <typename T> void sgd_reference(const SgdTask& task) {
    const SgdScalars& s = task.scalars;
    T* p = task.param.ptr<T>();
    const T* grad = task.grad.ptr<T>();
    T* buf = task.momentum_buffer.ptr<T>();
    for (std::int64_t i = 0; i < task.param.numel(); ++i) {
        double d = s.maximize ? -static_cast<double>(grad[i]) : grad[i];
        d += s.weight_decay * static_cast<double>(p[i]);
        if (s.momentum != 0.0) {
            const double b = task.new_buffer ? d : s.momentum * buf[i] + (1.0 - s.dampening) * d;
            buf[i] = static_cast<T>(b);
            d = s.nesterov ? d + s.momentum * b : b;
        }
        p[i] = static_cast<T>(p[i] - s.lr * d);
    }
}

}  // namespace

void ReferenceBackend::sgd_step(std::span<const SgdTask> tasks) {
    for (const SgdTask& task : tasks) {
        visit_floating(task.param.dtype, "sgd_step", [&](auto tag) {
            sgd_reference<typename decltype(tag)::type>(task);
        });
    }
}

}  // namespace peso
