#pragma once
// The Adam/AdamW update of one parameter. On contiguous float32/float64
// tensors, on any device, it is one fused pass over memory (read p, g, m, v;
// write p, m, v): the backend's adam_step primitive (vectorized OpenMP loops on
// the cpu, one kernel launch on CUDA); elsewhere (amsgrad, non-contiguous
// parameters) it runs the same formula as tensor ops.
#include <vector>

#include "backends/adam_step.h"
#include "tensor/tensor.h"

namespace peso::nn::optim {

// The scalars of one update (the backend's AdamScalars: lr, betas, eps,
// weight_decay, step_size, bias_correction2_sqrt, decoupled, maximize),
// computed in double as torch.optim does in Python.
struct AdamCoefficients : AdamScalars {
    // The coefficients of update number `step` (1 for the first).
    static AdamCoefficients at_step(double step, double lr, double beta1, double beta2, double eps,
                                    double weight_decay, bool decoupled, bool maximize);
};

// One update in torch.optim.Adam/AdamW's single-tensor order (g = -grad when
// maximize), every operation rounded to the tensors' dtype:
//   AdamW: p = p * (1 - lr*wd)      Adam: g = g + wd * p   (when wd != 0)
//   m = m * beta1 + (1 - beta1) * g
//   v = v * beta2 + (1 - beta2) * g * g
//   v_hat = amsgrad ? (max_v = max(max_v, v)) : v
//   p = p + (-step_size * m) / (sqrt(v_hat) / bias_correction2_sqrt + eps)
// The fused loop rounds exactly where PyTorch 1.13's CPU kernels do (with a
// fused multiply-add in the "+ wd * p", "+ (1 - beta1) * g" and
// "+ (1 - beta2) * g * g" steps on CPUs with FMA): its float32 results were
// bit-identical to torch.optim.AdamW's on this project's machines.
// max_exp_avg_sq defined means amsgrad. Bumps the version of what it writes.
void adam_update(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq, Tensor& max_exp_avg_sq,
                 const AdamCoefficients& c);

// Many fused updates in one parallel region (one fork/join for all of an
// optimizer's parameters, as PyTorch's multi-tensor apply). Each task must be
// adam_update_fusable; throws before changing anything otherwise.
struct AdamFusedTask {
    Tensor param, grad, exp_avg, exp_avg_sq;
    AdamCoefficients coefficients;
};
void adam_update_fused_many(const std::vector<AdamFusedTask>& tasks);

// The two paths, for tests and benchmarks: the fused loop (throws unless
// adam_update_fusable) and the tensor-op composite (any device and layout).
bool adam_update_fusable(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                         const Tensor& max_exp_avg_sq);
void adam_update_fused(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,
                       const AdamCoefficients& c);
void adam_update_composite(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,
                           Tensor& max_exp_avg_sq, const AdamCoefficients& c);

}  // namespace peso::nn::optim
