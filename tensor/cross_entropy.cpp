// The fused cross-entropy's front-ends: checks, output allocation and one
// backend call for the per-row losses (with each row's logsumexp, saved for
// the backward) or for the gradient of the logits.
#include "backends/registry.h"
#include "tensor/device_checks.h"
#include "tensor/native.h"

namespace peso::native {

namespace {

TensorArg vector_arg(const Tensor& t) {
    TensorArg a = t.arg();
    a.sizes = Dims{t.numel()};
    a.strides = Dims{t.numel() <= 1 ? 1 : t.stride(0)};
    return a;
}

void check_rows(const char* op, const Tensor& logits, const Tensor& target, const Tensor& valid) {
    PESO_CHECK(logits.defined() && target.defined() && valid.defined(), ValueError, "{}: undefined argument", op);
    PESO_CHECK(logits.dim() == 2 && is_floating(logits.dtype()), ShapeError,
               "{}: expected floating logits (N, C), got shape {} dtype {}", op, logits.sizes(), logits.dtype());
    PESO_CHECK(target.dtype() == DType::i64 && valid.dtype() == DType::b8, DTypeError,
               "{}: expected int64 targets and a bool mask, got {} and {}", op, target.dtype(), valid.dtype());
    PESO_CHECK(target.sizes() == Dims{logits.size(0)} && valid.sizes() == target.sizes(), ShapeError,
               "{}: logits {} need targets and a mask of shape ({}), got {} and {}", op, logits.sizes(),
               logits.size(0), target.sizes(), valid.sizes());
    for (const Tensor* t : {&target, &valid})
        PESO_CHECK(t->device() == logits.device(), DeviceError, "{}: logits are on {} but targets or mask on {}", op,
                   logits.device(), t->device());
}

// The backend reads the targets of valid rows as column indices: each must lie in [0, C).
void check_targets(const Tensor& logits, const Tensor& target, const Tensor& valid) {
    const std::int64_t classes = logits.size(1);
    const Tensor bad = logical_and(valid, logical_or(lt(target, 0), ge(target, classes)));
    if (device_checks_values(bad.device())) {
        check_on_device(bad, target, "cross_entropy_rows: target ",
                        fmt::format(" is out of bounds for {} classes (logits {})", classes, logits.sizes()));
        return;
    }
    if (!any(bad).item<bool>()) return;
    const std::int64_t row = argmax(to_dtype(bad, DType::i64)).item<std::int64_t>();
    throw IndexError(fmt::format("cross_entropy_rows: target {} of row {} is out of bounds for {} classes (logits {})",
                                 select(target, 0, row).item<std::int64_t>(), row, classes, logits.sizes()));
}

}  // namespace

std::tuple<Tensor, Tensor> cross_entropy_rows(const Tensor& logits, const Tensor& target, const Tensor& valid) {
    check_rows("cross_entropy_rows", logits, target, valid);
    PESO_CHECK(logits.size(1) > 0 || logits.size(0) == 0, ShapeError,
               "cross_entropy_rows: logits {} have no classes", logits.sizes());
    check_targets(logits, target, valid);
    Tensor loss = empty({logits.size(0)}, logits.options()), lse = empty({logits.size(0)}, logits.options());
    if (logits.numel() == 0) return {loss, lse};
    const Tensor x = contiguous(logits);
    backend_for(x.device()).cross_entropy(vector_arg(loss), vector_arg(lse), x.arg(), vector_arg(target),
                                          vector_arg(valid));
    return {loss, lse};
}

Tensor cross_entropy_rows_backward(const Tensor& grad, const Tensor& logits, const Tensor& target, const Tensor& valid,
                                   const Tensor& lse) {
    check_rows("cross_entropy_rows_backward", logits, target, valid);
    PESO_CHECK(grad.defined() && lse.defined() && grad.sizes() == target.sizes() && lse.sizes() == target.sizes() &&
                   grad.dtype() == logits.dtype() && lse.dtype() == logits.dtype(),
               ShapeError, "cross_entropy_rows_backward: grad ({}) and lse ({}) must be ({}) of the logits' dtype {}",
               grad.defined() ? grad.sizes() : Dims{}, lse.defined() ? lse.sizes() : Dims{}, logits.size(0),
               logits.dtype());
    const Tensor x = contiguous(logits);
    Tensor dx = empty(x.sizes(), x.options());
    if (x.numel() == 0) return dx;
    backend_for(x.device()).cross_entropy_backward(dx.arg(), vector_arg(grad), x.arg(), vector_arg(target),
                                                   vector_arg(valid), vector_arg(lse));
    return dx;
}

}  // namespace peso::native
