// The CPU SGD step: one pass over each parameter's memory (read p, g, buf;
// write p, buf) in GCC vector types, all parameters' blocks in one OpenMP
// region. Every operation rounds where torch.optim's CPU kernels round
// (nn/optim/fused_sgd.h has the order): no contraction into fused
// multiply-adds except the explicit simd::fmadd (see simd.h).
#pragma GCC optimize("fp-contract=off")

#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/simd.h"

namespace peso {

namespace {

namespace simd = cpu::simd;

// The update's scalars rounded to the tensor dtype, or broadcast to a vector of it.
template <typename V> struct Scalars {
    V neg_lr, momentum, one_minus_dampening, weight_decay;
};

template <typename T> Scalars<T> scalars_of(const SgdScalars& c) {
    return {static_cast<T>(-c.lr), static_cast<T>(c.momentum), static_cast<T>(1.0 - c.dampening),
            static_cast<T>(c.weight_decay)};
}

enum class Momentum { none, first, later };

// One element, or one vector of elements: each line is one PyTorch op.
template <bool Maximize, bool Decay, Momentum M, bool Nesterov, typename V>
inline void sgd_element(V& p, V d, V& buf, const Scalars<V>& s) {
    if constexpr (Maximize) d = -d;
    if constexpr (Decay) d = simd::fmadd(p, s.weight_decay, d);  // grad.add(param, alpha=wd)
    if constexpr (M == Momentum::first) buf = d;                  // torch.clone(grad)
    if constexpr (M == Momentum::later) buf = simd::fmadd(d, s.one_minus_dampening, buf * s.momentum);
    if constexpr (M != Momentum::none) d = Nesterov ? simd::fmadd(buf, s.momentum, d) : buf;
    p = simd::fmadd(d, s.neg_lr, p);  // param.add_(d, alpha=-lr)
}

template <bool Maximize, bool Decay, Momentum M, bool Nesterov, typename T>
void sgd_range(T* __restrict p, const T* __restrict g, T* __restrict buf, std::int64_t begin, std::int64_t end,
               const Scalars<T> s) {
    using V = typename simd::Vec<T>::type;
    constexpr std::int64_t W = simd::Vec<T>::width;
    using simd::splat;
    const Scalars<V> sv{splat<V>(s.neg_lr), splat<V>(s.momentum), splat<V>(s.one_minus_dampening),
                        splat<V>(s.weight_decay)};
    std::int64_t i = begin;
    for (; i + W <= end; i += W) {
        V pv = simd::load<V>(p + i), bv{};
        if constexpr (M == Momentum::later) bv = simd::load<V>(buf + i);
        sgd_element<Maximize, Decay, M, Nesterov>(pv, simd::load<V>(g + i), bv, sv);
        simd::store(p + i, pv);
        if constexpr (M != Momentum::none) simd::store(buf + i, bv);
    }
    for (; i < end; ++i) {
        T b = M == Momentum::later ? buf[i] : T(0);
        sgd_element<Maximize, Decay, M, Nesterov>(p[i], g[i], b, s);
        if constexpr (M != Momentum::none) buf[i] = b;
    }
}

Momentum momentum_of(const SgdTask& t) {
    if (t.scalars.momentum == 0.0) return Momentum::none;
    return t.new_buffer ? Momentum::first : Momentum::later;
}

// Picks the loop compiled for this task's options.
template <typename T> void run_range(const SgdTask& t, std::int64_t begin, std::int64_t end) {
    T* p = t.param.ptr<T>();
    const T* g = t.grad.ptr<T>();
    const Momentum mode = momentum_of(t);
    T* b = mode == Momentum::none ? nullptr : t.momentum_buffer.ptr<T>();
    const Scalars<T> s = scalars_of<T>(t.scalars);
    auto run = [&]<bool Maximize, bool Decay, Momentum M, bool Nesterov>() {
        sgd_range<Maximize, Decay, M, Nesterov>(p, g, b, begin, end, s);
    };
    auto with_nesterov = [&]<bool Maximize, bool Decay, Momentum M>() {
        if (t.scalars.nesterov && M != Momentum::none) run.template operator()<Maximize, Decay, M, true>();
        else run.template operator()<Maximize, Decay, M, false>();
    };
    auto with_momentum = [&]<bool Maximize, bool Decay>() {
        if (mode == Momentum::first) with_nesterov.template operator()<Maximize, Decay, Momentum::first>();
        else if (mode == Momentum::later) with_nesterov.template operator()<Maximize, Decay, Momentum::later>();
        else with_nesterov.template operator()<Maximize, Decay, Momentum::none>();
    };
    auto with_decay = [&]<bool Maximize>() {
        if (t.scalars.weight_decay != 0.0) with_momentum.template operator()<Maximize, true>();
        else with_momentum.template operator()<Maximize, false>();
    };
    if (t.scalars.maximize) with_decay.template operator()<true>();
    else with_decay.template operator()<false>();
}

}  // namespace

void CpuBackend::sgd_step(std::span<const SgdTask> tasks) {
    std::vector<std::int64_t> sizes;
    for (const SgdTask& t : tasks) {
        visit_floating(t.param.dtype, "sgd_step", [](auto) {});  // refuses other dtypes before any write
        sizes.push_back(t.param.numel());
    }
    simd::parallel_blocks(sizes, [&](std::size_t k, std::int64_t begin, std::int64_t end) {
        const SgdTask& t = tasks[k];
        if (t.param.dtype == DType::f32) run_range<float>(t, begin, end);
        else run_range<double>(t, begin, end);
    });
}

}  // namespace peso
