// The CPU Adam/AdamW step: one pass over each parameter's memory (read p, g,
// m, v; write p, m, v) in GCC vector types, all parameters' blocks in one
// OpenMP region. Every operation rounds where torch.optim's CPU kernels round
// (nn/optim/fused_adam.h has the order): no contraction into fused
// multiply-adds except the explicit simd::fmadd (see simd.h).
#pragma GCC optimize("fp-contract=off")

#include <type_traits>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/simd.h"

namespace peso {

namespace {

namespace simd = cpu::simd;

// The update's scalars rounded to the tensor dtype (as PyTorch's kernels
// convert a Python float argument), or broadcast to a vector of it.
template <typename V> struct Scalars {
    V beta1, one_minus_beta1, beta2, one_minus_beta2, eps, bias_correction2_sqrt, neg_step_size, decay, weight_decay;
};

template <typename T> Scalars<T> scalars_of(const AdamScalars& c) {
    return {static_cast<T>(c.beta1),        static_cast<T>(1.0 - c.beta1), static_cast<T>(c.beta2),
            static_cast<T>(1.0 - c.beta2),  static_cast<T>(c.eps),         static_cast<T>(c.bias_correction2_sqrt),
            static_cast<T>(-c.step_size),   static_cast<T>(1.0 - c.lr * c.weight_decay),
            static_cast<T>(c.weight_decay)};
}

template <typename V, typename T> Scalars<V> broadcast(const Scalars<T>& s) {
    using simd::splat;
    return {splat<V>(s.beta1), splat<V>(s.one_minus_beta1), splat<V>(s.beta2), splat<V>(s.one_minus_beta2),
            splat<V>(s.eps), splat<V>(s.bias_correction2_sqrt), splat<V>(s.neg_step_size), splat<V>(s.decay),
            splat<V>(s.weight_decay)};
}

enum class Decay { none, l2, decoupled };

// One element, or one vector of elements, of torch.optim's single-tensor
// Adam/AdamW: each line is one PyTorch op, with a fused multiply-add where
// PyTorch's vectorized kernel has one (add_ with alpha, addcmul_).
template <Decay D, bool Maximize, typename V>
inline void adam_element(V& p, V g, V& m, V& v, const Scalars<V>& s) {
    if constexpr (Maximize) g = -g;
    if constexpr (D == Decay::decoupled) p = p * s.decay;                // param.mul_(1 - lr * wd)
    if constexpr (D == Decay::l2) g = simd::fmadd(p, s.weight_decay, g);  // grad.add(param, alpha=wd)
    m = simd::fmadd(g, s.one_minus_beta1, m * s.beta1);                   // exp_avg.mul_(b1).add_(g, alpha=1-b1)
    v = simd::fmadd(s.one_minus_beta2 * g, g, v * s.beta2);               // exp_avg_sq.mul_(b2).addcmul_(g, g, 1-b2)
    const V denom = simd::root(v) / s.bias_correction2_sqrt + s.eps;      // (sqrt(v) / bc2_sqrt).add_(eps)
    p = p + s.neg_step_size * m / denom;                                  // param.addcdiv_(m, denom, -step_size)
}

template <Decay D, bool Maximize, typename T>
void adam_range(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v, std::int64_t begin,
                std::int64_t end, const Scalars<T> s) {
    using V = typename simd::Vec<T>::type;
    constexpr std::int64_t W = simd::Vec<T>::width;
    const Scalars<V> sv = broadcast<V>(s);
    std::int64_t i = begin;
    for (; i + W <= end; i += W) {
        V pv = simd::load<V>(p + i), mv = simd::load<V>(m + i), vv = simd::load<V>(v + i);
        adam_element<D, Maximize>(pv, simd::load<V>(g + i), mv, vv, sv);
        simd::store(p + i, pv);
        simd::store(m + i, mv);
        simd::store(v + i, vv);
    }
    for (; i < end; ++i) adam_element<D, Maximize>(p[i], g[i], m[i], v[i], s);
}

Decay decay_of(const AdamScalars& c) {
    return c.decoupled ? Decay::decoupled : (c.weight_decay != 0.0 ? Decay::l2 : Decay::none);
}

template <typename T> void run_range(const AdamTask& task, std::int64_t begin, std::int64_t end) {
    T* p = task.param.ptr<T>();
    const T* g = task.grad.ptr<T>();
    T* m = task.exp_avg.ptr<T>();
    T* v = task.exp_avg_sq.ptr<T>();
    const Scalars<T> s = scalars_of<T>(task.scalars);
    auto with = [&]<Decay D>() {
        if (task.scalars.maximize) adam_range<D, true>(p, g, m, v, begin, end, s);
        else adam_range<D, false>(p, g, m, v, begin, end, s);
    };
    switch (decay_of(task.scalars)) {
        case Decay::decoupled: return with.template operator()<Decay::decoupled>();
        case Decay::l2: return with.template operator()<Decay::l2>();
        case Decay::none: return with.template operator()<Decay::none>();
    }
}

}  // namespace

void CpuBackend::adam_step(std::span<const AdamTask> tasks) {
    std::vector<std::int64_t> sizes;
    for (const AdamTask& t : tasks) {
        visit_floating(t.param.dtype, "adam_step", [](auto) {});  // refuses other dtypes before any write
        sizes.push_back(t.param.numel());
    }
    simd::parallel_blocks(sizes, [&](std::size_t k, std::int64_t begin, std::int64_t end) {
        const AdamTask& t = tasks[k];
        if (t.param.dtype == DType::f32) run_range<float>(t, begin, end);
        else run_range<double>(t, begin, end);
    });
}

}  // namespace peso
