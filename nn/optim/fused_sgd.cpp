// Every operation rounds where PyTorch's rounds: no contraction into fused
// multiply-adds except the explicit simd::fmadd (see simd.h).
#pragma GCC optimize("fp-contract=off")

#include "nn/optim/fused_sgd.h"

#include <type_traits>

#include "backends/cpu/simd.h"
#include "peso.h"

namespace peso::nn::optim {

namespace simd = cpu::simd;

namespace {

template <typename V> struct Scalars {
    V neg_lr, momentum, one_minus_dampening, weight_decay;
};

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

// One task, ready for the loop: raw pointers and the scalars in its dtype.
struct Prepared {
    DType dtype;
    bool maximize, decay, nesterov;
    Momentum momentum;
    void* p;
    const void* g;
    void* buf;
    Scalars<float> f32;
    Scalars<double> f64;
};

template <typename T> Scalars<T> scalars_of(const SGDCoefficients& c) {
    return {static_cast<T>(-c.lr), static_cast<T>(c.momentum), static_cast<T>(1.0 - c.dampening),
            static_cast<T>(c.weight_decay)};
}

Prepared prepare(const SGDFusedTask& t) {
    const SGDCoefficients& c = t.coefficients;
    const Momentum mode = c.momentum == 0.0 ? Momentum::none : (t.new_buffer ? Momentum::first : Momentum::later);
    return {t.param.dtype(),
            c.maximize,
            c.weight_decay != 0.0,
            c.nesterov,
            mode,
            t.param.data_ptr(),
            t.grad.data_ptr(),
            mode == Momentum::none ? nullptr : t.momentum_buffer.data_ptr(),
            scalars_of<float>(c),
            scalars_of<double>(c)};
}

template <typename T> void run_range(const Prepared& x, std::int64_t begin, std::int64_t end) {
    T* p = static_cast<T*>(x.p);
    const T* g = static_cast<const T*>(x.g);
    T* b = static_cast<T*>(x.buf);
    const Scalars<T>& s = [&]() -> const Scalars<T>& {
        if constexpr (std::is_same_v<T, float>) return x.f32;
        else return x.f64;
    }();
    auto run = [&]<bool Maximize, bool Decay, Momentum M, bool Nesterov>() {
        sgd_range<Maximize, Decay, M, Nesterov>(p, g, b, begin, end, s);
    };
    auto with_nesterov = [&]<bool Maximize, bool Decay, Momentum M>() {
        if (x.nesterov && M != Momentum::none) run.template operator()<Maximize, Decay, M, true>();
        else run.template operator()<Maximize, Decay, M, false>();
    };
    auto with_momentum = [&]<bool Maximize, bool Decay>() {
        if (x.momentum == Momentum::first) with_nesterov.template operator()<Maximize, Decay, Momentum::first>();
        else if (x.momentum == Momentum::later) with_nesterov.template operator()<Maximize, Decay, Momentum::later>();
        else with_nesterov.template operator()<Maximize, Decay, Momentum::none>();
    };
    auto with_decay = [&]<bool Maximize>() {
        if (x.decay) with_momentum.template operator()<Maximize, true>();
        else with_momentum.template operator()<Maximize, false>();
    };
    if (x.maximize) with_decay.template operator()<true>();
    else with_decay.template operator()<false>();
}

}  // namespace

bool sgd_update_fusable(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer) {
    const DType t = param.dtype();
    if (t != DType::f32 && t != DType::f64) return false;
    for (const Tensor* x : {&param, &grad, &momentum_buffer}) {
        if (!x->defined()) continue;  // a buffer created by this step
        if (!x->device().is_cpu() || x->dtype() != t || !x->is_contiguous() || x->sizes() != param.sizes())
            return false;
    }
    return true;
}

void sgd_update_fused_many(const std::vector<SGDFusedTask>& tasks) {
    std::vector<Prepared> prepared;
    std::vector<std::int64_t> sizes;
    for (const SGDFusedTask& t : tasks) {
        PESO_CHECK(sgd_update_fusable(t.param, t.grad, t.momentum_buffer) &&
                       (t.coefficients.momentum == 0.0 || t.momentum_buffer.defined()),
                   ValueError,
                   "sgd_update_fused: needs contiguous CPU float32/float64 tensors of one dtype and shape (and a "
                   "momentum buffer when momentum != 0); got param {} {} {}, grad {} {} {}",
                   t.param.sizes(), t.param.dtype(), t.param.device(), t.grad.sizes(), t.grad.dtype(),
                   t.grad.device());
        prepared.push_back(prepare(t));
        sizes.push_back(t.param.numel());
    }
    simd::parallel_blocks(sizes, [&](std::size_t task, std::int64_t begin, std::int64_t end) {
        const Prepared& x = prepared[task];
        if (x.dtype == DType::f32) run_range<float>(x, begin, end);
        else run_range<double>(x, begin, end);
    });
    for (const SGDFusedTask& t : tasks) {
        t.param.impl().storage->bump_version();
        if (t.coefficients.momentum != 0.0) t.momentum_buffer.impl().storage->bump_version();
    }
}

void sgd_update_fused(Tensor& param, const Tensor& grad, Tensor& momentum_buffer, const SGDCoefficients& c) {
    const bool new_buffer = c.momentum != 0.0 && !momentum_buffer.defined();
    if (new_buffer && sgd_update_fusable(param, grad, momentum_buffer))
        momentum_buffer = native::empty(param.sizes(), param.options());
    sgd_update_fused_many({{param, grad, momentum_buffer, new_buffer, c}});
}

void sgd_update_composite(Tensor& param, const Tensor& grad, Tensor& momentum_buffer, const SGDCoefficients& c) {
    NoGradGuard no_grad;
    Tensor d = c.maximize ? native::neg(grad) : grad;
    if (c.weight_decay != 0.0) d = native::add(d, param, c.weight_decay);
    if (c.momentum != 0.0) {
        if (!momentum_buffer.defined()) {
            momentum_buffer = native::empty(param.sizes(), param.options());
            native::copy_(momentum_buffer, d);
        } else {
            momentum_buffer.mul_(c.momentum).add_(d, 1.0 - c.dampening);
        }
        d = c.nesterov ? native::add(d, momentum_buffer, c.momentum) : momentum_buffer;
    }
    param.add_(d, -c.lr);
}

void sgd_update(Tensor& param, const Tensor& grad, Tensor& momentum_buffer, const SGDCoefficients& c) {
    if (!grad.is_contiguous() && grad.device().is_cpu()) {
        const Tensor dense = native::contiguous(grad);
        sgd_update(param, dense, momentum_buffer, c);
        return;
    }
    if (sgd_update_fusable(param, grad, momentum_buffer)) sgd_update_fused(param, grad, momentum_buffer, c);
    else sgd_update_composite(param, grad, momentum_buffer, c);
}

}  // namespace peso::nn::optim
