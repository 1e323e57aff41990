// The Adam/AdamW step for many parameters in few launches (as PyTorch's
// multi-tensor apply): up to kAdamTasksPerLaunch parameters' pointers and
// scalars travel in the kernel's arguments, and each launch's blocks
// grid-stride over every parameter in turn. Every operation is an explicitly
// rounded intrinsic in the CPU loop's order (nn/optim/fused_adam.h), so that
// nvcc cannot contract or reorder them: float32 results equal the CPU
// backend's bit for bit (on CPUs with FMA).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/device_guard.h"
#include "backends/cuda/kernel_layout.cuh"
#include "backends/cuda/launch.h"
#include "backends/cuda/rounded_math.cuh"
#include "backends/cuda/stream.h"

PESO_CUDA_NAMESPACE_BEGIN

namespace {

// Kernel arguments are limited to 4 KB: 24 tasks of 120 bytes stay under it.
constexpr int kAdamTasksPerLaunch = 24;

enum class Decay : int { none, l2, decoupled };

struct AdamParam {
    void* p;
    const void* g;
    void* m;
    void* v;
    std::int64_t n;
    // The scalars in double; the kernel rounds them to T as the CPU loop does.
    double beta1, one_minus_beta1, beta2, one_minus_beta2, eps, bias_correction2_sqrt, neg_step_size, decay,
        weight_decay;
    Decay decay_kind;
    bool maximize;
};

struct AdamLaunch {
    int count;
    AdamParam params[kAdamTasksPerLaunch];
};
static_assert(sizeof(AdamLaunch) <= 4096, "kernel arguments are limited to 4 KB");

// One element, each line one torch.optim op (fused multiply-adds where
// PyTorch's vectorized CPU kernel has them).
template <class T>
__device__ void adam_element(const AdamParam& a, T& p, T g, T& m, T& v) {
    if (a.maximize) g = -g;
    if (a.decay_kind == Decay::decoupled) p = mul_rn(p, static_cast<T>(a.decay));
    if (a.decay_kind == Decay::l2) g = fma_rn(p, static_cast<T>(a.weight_decay), g);
    m = fma_rn(g, static_cast<T>(a.one_minus_beta1), mul_rn(m, static_cast<T>(a.beta1)));
    v = fma_rn(mul_rn(static_cast<T>(a.one_minus_beta2), g), g, mul_rn(v, static_cast<T>(a.beta2)));
    const T denom = add_rn(div_rn(sqrt_rn(v), static_cast<T>(a.bias_correction2_sqrt)), static_cast<T>(a.eps));
    p = add_rn(p, div_rn(mul_rn(static_cast<T>(a.neg_step_size), m), denom));
}

template <class T>
__global__ void adam_kernel(AdamLaunch tasks) {
    const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
    for (int k = 0; k < tasks.count; ++k) {
        const AdamParam& a = tasks.params[k];
        T* p = static_cast<T*>(a.p);
        const T* g = static_cast<const T*>(a.g);
        T* m = static_cast<T*>(a.m);
        T* v = static_cast<T*>(a.v);
        for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < a.n; i += stride) {
            T pi = p[i], mi = m[i], vi = v[i];
            adam_element(a, pi, g[i], mi, vi);
            p[i] = pi;
            m[i] = mi;
            v[i] = vi;
        }
    }
}

AdamParam adam_param(const AdamTask& t) {
    const AdamScalars& s = t.scalars;
    return {t.param.data, t.grad.data, t.exp_avg.data, t.exp_avg_sq.data, t.param.numel(),
            s.beta1, 1.0 - s.beta1, s.beta2, 1.0 - s.beta2, s.eps, s.bias_correction2_sqrt, -s.step_size,
            1.0 - s.lr * s.weight_decay, s.weight_decay,
            s.decoupled ? Decay::decoupled : (s.weight_decay != 0.0 ? Decay::l2 : Decay::none), s.maximize};
}

// The tasks of one dtype, kAdamTasksPerLaunch to a launch.
template <class T>
void launch_adam(const std::vector<const AdamTask*>& tasks) {
    for (std::size_t begin = 0; begin < tasks.size(); begin += kAdamTasksPerLaunch) {
        AdamLaunch batch{};
        std::int64_t largest = 0;
        for (std::size_t k = begin; k < tasks.size() && batch.count < kAdamTasksPerLaunch; ++k) {
            batch.params[batch.count++] = adam_param(*tasks[k]);
            largest = std::max(largest, tasks[k]->param.numel());
        }
        if (largest == 0) continue;
        launch(adam_kernel<T>, grid_for(largest, kThreads), threads_for(largest), 0, current_stream(), batch);
    }
}

}  // namespace

void CudaBackend::adam_step(std::span<const AdamTask> tasks) {
    const DeviceGuard guard(device_);
    std::vector<const AdamTask*> f32, f64;
    for (const AdamTask& t : tasks) {
        visit_floating(t.param.dtype, "adam_step", [](auto) {});  // refuses other dtypes before any launch
        (t.param.dtype == DType::f32 ? f32 : f64).push_back(&t);
    }
    launch_adam<float>(f32);
    launch_adam<double>(f64);
}

PESO_CUDA_NAMESPACE_END
