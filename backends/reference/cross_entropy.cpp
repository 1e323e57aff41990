// Reference fused cross-entropy: each row's logsumexp in double, then the
// loss or the gradient row from it.
#include <algorithm>
#include <cmath>
#include <limits>

#include "backends/bf16_host.h"
#include "backends/reference/reference_backend.h"

namespace peso {

namespace {

template <typename T> double row_logsumexp(const T* x, std::int64_t n) {
    // Shifted by the max so that exp cannot overflow.
    double mx = -std::numeric_limits<double>::infinity();
    for (std::int64_t i = 0; i < n; ++i) mx = std::max(mx, static_cast<double>(x[i]));
    double sum = 0;
    for (std::int64_t i = 0; i < n; ++i) sum += std::exp(x[i] - mx);
    return mx + std::log(sum);
}

bool row_valid(const TensorArg& valid, std::int64_t r) { return valid.ptr<bool>()[r * valid.strides[0]]; }
std::int64_t row_target(const TensorArg& target, std::int64_t r) {
    return target.ptr<std::int64_t>()[r * target.strides[0]];
}

}  // namespace

void ReferenceBackend::cross_entropy(const TensorArg& loss, const TensorArg& lse, const TensorArg& logits,
                                     const TensorArg& target, const TensorArg& valid) {
    if (bf16::any(loss, lse, logits)) {  // the float32 kernel on widened copies (bf16_host.h)
        const bf16::Widened w_loss(*this, loss, bf16::Widened::Role::out),
              w_lse(*this, lse, bf16::Widened::Role::out),
              w_logits(*this, logits, bf16::Widened::Role::in);
        return cross_entropy(w_loss, w_lse, w_logits, target, valid);
    }
    visit_floating(logits.dtype, "cross_entropy", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const std::int64_t rows = logits.sizes[0], n = logits.sizes[1];
        for (std::int64_t r = 0; r < rows; ++r) {
            const T* x = logits.ptr<T>() + r * n;
            const double l = row_logsumexp(x, n);
            if (lse.data) lse.ptr<T>()[r * lse.strides[0]] = static_cast<T>(l);
            loss.ptr<T>()[r * loss.strides[0]] =
                row_valid(valid, r) ? static_cast<T>(l - x[row_target(target, r)]) : T(0);
        }
    });
}

void ReferenceBackend::cross_entropy_backward(const TensorArg& dlogits, const TensorArg& grad, const TensorArg& logits,
                                              const TensorArg& target, const TensorArg& valid, const TensorArg& lse) {
    if (bf16::any(dlogits, grad, logits, lse)) {  // the float32 kernel on widened copies (bf16_host.h)
        const bf16::Widened w_dlogits(*this, dlogits, bf16::Widened::Role::out),
              w_grad(*this, grad, bf16::Widened::Role::in),
              w_logits(*this, logits, bf16::Widened::Role::in),
              w_lse(*this, lse, bf16::Widened::Role::in);
        return cross_entropy_backward(w_dlogits, w_grad, w_logits, target, valid, w_lse);
    }
    visit_floating(logits.dtype, "cross_entropy_backward", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const std::int64_t rows = logits.sizes[0], n = logits.sizes[1];
        for (std::int64_t r = 0; r < rows; ++r) {
            const T* x = logits.ptr<T>() + r * n;
            T* dx = dlogits.ptr<T>() + r * n;
            const bool ok = row_valid(valid, r);
            const double g = ok ? static_cast<double>(grad.ptr<T>()[r * grad.strides[0]]) : 0.0;
            const double l = lse.ptr<T>()[r * lse.strides[0]];
            const std::int64_t t = ok ? row_target(target, r) : -1;
            for (std::int64_t i = 0; i < n; ++i)
                dx[i] = ok ? static_cast<T>((std::exp(x[i] - l) - (i == t ? 1.0 : 0.0)) * g) : T(0);
        }
    });
}

}  // namespace peso
