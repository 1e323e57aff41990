// Every operation rounds where PyTorch's rounds: no contraction into fused
// multiply-adds except the explicit simd::fmadd (see simd.h).
#pragma GCC optimize("fp-contract=off")

#include "nn/optim/fused_adam.h"

#include <cmath>
#include <type_traits>

#include "nn/optim/simd.h"
#include "peso.h"

namespace peso::nn::optim {

namespace {

// The update's scalars rounded to the tensor dtype (as PyTorch's kernels
// convert a Python float argument), or broadcast to a vector of it.
template <typename V> struct Scalars {
    V beta1, one_minus_beta1, beta2, one_minus_beta2, eps, bias_correction2_sqrt, neg_step_size, decay, weight_decay;
};

template <typename T> Scalars<T> scalars_of(const AdamCoefficients& c) {
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

// One task, ready for the loop: raw pointers and the scalars in its dtype.
struct Prepared {
    DType dtype;
    Decay decay;
    bool maximize;
    void* p;
    const void* g;
    void* m;
    void* v;
    Scalars<float> f32;
    Scalars<double> f64;
};

Prepared prepare(const AdamFusedTask& t) {
    const AdamCoefficients& c = t.coefficients;
    return {t.param.dtype(),
            c.decoupled ? Decay::decoupled : (c.weight_decay != 0.0 ? Decay::l2 : Decay::none),
            c.maximize,
            t.param.data_ptr(),
            t.grad.data_ptr(),
            t.exp_avg.data_ptr(),
            t.exp_avg_sq.data_ptr(),
            scalars_of<float>(c),
            scalars_of<double>(c)};
}

template <typename T> void run_range(const Prepared& x, std::int64_t begin, std::int64_t end) {
    T* p = static_cast<T*>(x.p);
    const T* g = static_cast<const T*>(x.g);
    T* m = static_cast<T*>(x.m);
    T* v = static_cast<T*>(x.v);
    const Scalars<T>& s = [&]() -> const Scalars<T>& {
        if constexpr (std::is_same_v<T, float>) return x.f32;
        else return x.f64;
    }();
    auto with = [&]<Decay D>() {
        if (x.maximize) adam_range<D, true>(p, g, m, v, begin, end, s);
        else adam_range<D, false>(p, g, m, v, begin, end, s);
    };
    if (x.decay == Decay::decoupled) with.template operator()<Decay::decoupled>();
    else if (x.decay == Decay::l2) with.template operator()<Decay::l2>();
    else with.template operator()<Decay::none>();
}

}  // namespace

AdamCoefficients AdamCoefficients::at_step(double step, double lr, double beta1, double beta2, double eps,
                                           double weight_decay, bool decoupled, bool maximize) {
    AdamCoefficients c;
    c.lr = lr;
    c.beta1 = beta1;
    c.beta2 = beta2;
    c.eps = eps;
    c.weight_decay = weight_decay;
    c.decoupled = decoupled;
    c.maximize = maximize;
    const double bias_correction1 = 1.0 - std::pow(beta1, step);
    const double bias_correction2 = 1.0 - std::pow(beta2, step);
    c.step_size = lr / bias_correction1;
    c.bias_correction2_sqrt = std::sqrt(bias_correction2);
    return c;
}

bool adam_update_fusable(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                         const Tensor& max_exp_avg_sq) {
    if (max_exp_avg_sq.defined()) return false;
    const DType t = param.dtype();
    if (t != DType::f32 && t != DType::f64) return false;
    for (const Tensor* x : {&param, &grad, &exp_avg, &exp_avg_sq})
        if (!x->device().is_cpu() || x->dtype() != t || !x->is_contiguous() || x->sizes() != param.sizes())
            return false;
    return true;
}

void adam_update_fused_many(const std::vector<AdamFusedTask>& tasks) {
    std::vector<Prepared> prepared;
    std::vector<std::int64_t> sizes;
    for (const AdamFusedTask& t : tasks) {
        PESO_CHECK(adam_update_fusable(t.param, t.grad, t.exp_avg, t.exp_avg_sq, Tensor()), ValueError,
                   "adam_update_fused: needs contiguous CPU float32/float64 tensors of one dtype and shape; got "
                   "param {} {} {}, grad {} {} {}, exp_avg {} {}, exp_avg_sq {} {}",
                   t.param.sizes(), t.param.dtype(), t.param.device(), t.grad.sizes(), t.grad.dtype(),
                   t.grad.device(), t.exp_avg.sizes(), t.exp_avg.dtype(), t.exp_avg_sq.sizes(), t.exp_avg_sq.dtype());
        prepared.push_back(prepare(t));
        sizes.push_back(t.param.numel());
    }
    simd::parallel_blocks(sizes, [&](std::size_t task, std::int64_t begin, std::int64_t end) {
        const Prepared& x = prepared[task];
        if (x.dtype == DType::f32) run_range<float>(x, begin, end);
        else run_range<double>(x, begin, end);
    });
    for (const AdamFusedTask& t : tasks)
        for (const Tensor* x : {&t.param, &t.exp_avg, &t.exp_avg_sq}) x->impl().storage->bump_version();
}

void adam_update_fused(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,
                       const AdamCoefficients& c) {
    adam_update_fused_many({{param, grad, exp_avg, exp_avg_sq, c}});
}

void adam_update_composite(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,
                           Tensor& max_exp_avg_sq, const AdamCoefficients& c) {
    NoGradGuard no_grad;
    Tensor g = c.maximize ? native::neg(grad) : grad;
    if (c.decoupled) param.mul_(1.0 - c.lr * c.weight_decay);
    else if (c.weight_decay != 0.0) g = native::add(g, param, c.weight_decay);
    exp_avg.mul_(c.beta1).add_(g, 1.0 - c.beta1);
    exp_avg_sq.mul_(c.beta2).add_(native::mul(native::mul(g, 1.0 - c.beta2), g));
    Tensor v_hat = exp_avg_sq;
    if (max_exp_avg_sq.defined()) {
        native::copy_(max_exp_avg_sq, native::maximum(max_exp_avg_sq, exp_avg_sq));
        v_hat = max_exp_avg_sq;
    }
    Tensor denom = native::div(native::sqrt(v_hat), c.bias_correction2_sqrt);
    denom.add_(c.eps);
    param.add_(native::div(native::mul(exp_avg, -c.step_size), denom));
}

void adam_update(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq, Tensor& max_exp_avg_sq,
                 const AdamCoefficients& c) {
    if (!max_exp_avg_sq.defined() && !grad.is_contiguous() && grad.device().is_cpu()) {
        const Tensor dense = native::contiguous(grad);
        adam_update(param, dense, exp_avg, exp_avg_sq, max_exp_avg_sq, c);
        return;
    }
    if (adam_update_fusable(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq))
        adam_update_fused(param, grad, exp_avg, exp_avg_sq, c);
    else
        adam_update_composite(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, c);
}

}  // namespace peso::nn::optim
