// The SGD step for many parameters in few launches, as adam_step.cu: up to
// kSgdTasksPerLaunch parameters' pointers and scalars travel in the kernel's
// arguments, and each launch's blocks grid-stride over every parameter in
// turn. Every operation is an explicitly rounded intrinsic in the CPU loop's
// order (nn/optim/fused_sgd.h), so float32 results equal the CPU backend's
// bit for bit (on CPUs with FMA).
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

constexpr int kSgdTasksPerLaunch = 48;

enum class Momentum : int { none, first, later };

struct SgdParam {
    void* p;
    const void* g;
    void* buf;
    std::int64_t n;
    // In double; the kernel rounds them to T as the CPU loop does.
    double neg_lr, momentum, one_minus_dampening, weight_decay;
    Momentum momentum_kind;
    bool nesterov, maximize, decay;
};

struct SgdLaunch {
    int count;
    SgdParam params[kSgdTasksPerLaunch];
};
static_assert(sizeof(SgdLaunch) <= 4096, "kernel arguments are limited to 4 KB");

// One element, each line one torch.optim op.
template <class T>
__device__ void sgd_element(const SgdParam& a, T& p, T d, T& buf) {
    if (a.maximize) d = -d;
    if (a.decay) d = fma_rn(p, static_cast<T>(a.weight_decay), d);
    if (a.momentum_kind == Momentum::first) buf = d;
    if (a.momentum_kind == Momentum::later)
        buf = fma_rn(d, static_cast<T>(a.one_minus_dampening), mul_rn(buf, static_cast<T>(a.momentum)));
    if (a.momentum_kind != Momentum::none) d = a.nesterov ? fma_rn(buf, static_cast<T>(a.momentum), d) : buf;
    p = fma_rn(d, static_cast<T>(a.neg_lr), p);
}

template <class T>
__global__ void sgd_kernel(SgdLaunch tasks) {
    const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
    for (int k = 0; k < tasks.count; ++k) {
        const SgdParam& a = tasks.params[k];
        T* p = static_cast<T*>(a.p);
        const T* g = static_cast<const T*>(a.g);
        T* buf = static_cast<T*>(a.buf);
        const bool has_buffer = a.momentum_kind != Momentum::none;
        for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < a.n; i += stride) {
            T pi = p[i], bi = a.momentum_kind == Momentum::later ? buf[i] : T(0);
            sgd_element(a, pi, g[i], bi);
            p[i] = pi;
            if (has_buffer) buf[i] = bi;
        }
    }
}

SgdParam sgd_param(const SgdTask& t) {
    const SgdScalars& s = t.scalars;
    const Momentum kind = s.momentum == 0.0 ? Momentum::none : (t.new_buffer ? Momentum::first : Momentum::later);
    return {t.param.data, t.grad.data, kind == Momentum::none ? nullptr : t.momentum_buffer.data, t.param.numel(),
            -s.lr, s.momentum, 1.0 - s.dampening, s.weight_decay, kind, s.nesterov, s.maximize,
            s.weight_decay != 0.0};
}

// The tasks of one dtype, kSgdTasksPerLaunch to a launch.
template <class T>
void launch_sgd(const std::vector<const SgdTask*>& tasks) {
    for (std::size_t begin = 0; begin < tasks.size(); begin += kSgdTasksPerLaunch) {
        SgdLaunch batch{};
        std::int64_t largest = 0;
        for (std::size_t k = begin; k < tasks.size() && batch.count < kSgdTasksPerLaunch; ++k) {
            batch.params[batch.count++] = sgd_param(*tasks[k]);
            largest = std::max(largest, tasks[k]->param.numel());
        }
        if (largest == 0) continue;
        launch(sgd_kernel<T>, grid_for(largest, kThreads), threads_for(largest), 0, current_stream(), batch);
    }
}

}  // namespace

void CudaBackend::sgd_step(std::span<const SgdTask> tasks) {
    const DeviceGuard guard(device_);
    std::vector<const SgdTask*> f32, f64;
    for (const SgdTask& t : tasks) {
        visit_floating(t.param.dtype, "sgd_step", [](auto) {});  // refuses other dtypes before any launch
        (t.param.dtype == DType::f32 ? f32 : f64).push_back(&t);
    }
    launch_sgd<float>(f32);
    launch_sgd<double>(f64);
}

PESO_CUDA_NAMESPACE_END
