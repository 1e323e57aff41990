// CPU fused cross-entropy over contiguous (N, C) rows, parallel over rows.
// Forward: two vectorized passes over a row (max; sum of exps), no (N, C)
// temporary. Backward: one pass writing exp(x - lse) * g, then the target's
// entry. Meanwhile the next row is prefetched, so that its trip from memory
// overlaps with this row's exps.
#include <cmath>
#include <cstdint>

#include "backends/bf16_host.h"
#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/parallel.h"
#include "backends/cpu/row_reductions.h"

namespace peso {

namespace {

// The logsumexp of a row, shifted by its max so that exp cannot overflow.
template <typename T> double row_logsumexp(const T* __restrict x, std::int64_t n, const T* next) {
    const T m = cpu::row_max(x, n);
    cpu::prefetch_row(next, n);
    return static_cast<double>(m) + std::log(cpu::blocked_sum(x, n, [m](T v) { return cpu::fast_exp(v - m); }));
}

template <typename T>
void cross_entropy_grad_row(T* __restrict dx, const T* __restrict x, std::int64_t n, T lse, T g, std::int64_t t) {
#pragma omp simd
    for (std::int64_t i = 0; i < n; ++i) dx[i] = cpu::fast_exp(x[i] - lse) * g;
    dx[t] = (cpu::fast_exp(x[t] - lse) - T(1)) * g;  // rounded as (softmax - one_hot) * g
}

template <typename T> void zero_row(T* __restrict dx, std::int64_t n) {
#pragma omp simd
    for (std::int64_t i = 0; i < n; ++i) dx[i] = T(0);
}

}  // namespace

void CpuBackend::cross_entropy(const TensorArg& loss, const TensorArg& lse, const TensorArg& logits,
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
        const T* base = logits.ptr<T>();
        cpu::parallel_for(rows, cpu::row_grain(n, 8192), [&](std::int64_t lo, std::int64_t hi) {
            for (std::int64_t r = lo; r < hi; ++r) {
                const T* x = base + r * n;
                const double l = row_logsumexp(x, n, r + 1 < hi ? x + n : nullptr);
                if (lse.data) lse.ptr<T>()[r * lse.strides[0]] = static_cast<T>(l);
                const bool ok = valid.ptr<bool>()[r * valid.strides[0]];
                loss.ptr<T>()[r * loss.strides[0]] =
                    ok ? static_cast<T>(l - x[target.ptr<std::int64_t>()[r * target.strides[0]]]) : T(0);
            }
        });
    });
}

void CpuBackend::cross_entropy_backward(const TensorArg& dlogits, const TensorArg& grad, const TensorArg& logits,
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
        cpu::parallel_for(rows, cpu::row_grain(n, 8192), [&](std::int64_t lo, std::int64_t hi) {
            for (std::int64_t r = lo; r < hi; ++r) {
                const T* x = logits.ptr<T>() + r * n;
                T* dx = dlogits.ptr<T>() + r * n;
                if (r + 1 < hi) cpu::prefetch_row(x + n, n);
                if (!valid.ptr<bool>()[r * valid.strides[0]]) {
                    zero_row(dx, n);
                    continue;
                }
                cross_entropy_grad_row(dx, x, n, lse.ptr<T>()[r * lse.strides[0]], grad.ptr<T>()[r * grad.strides[0]],
                                       target.ptr<std::int64_t>()[r * target.strides[0]]);
            }
        });
    });
}

}  // namespace peso
