#pragma once
// The SGD update of one parameter. On contiguous float32/float64 tensors, on
// any device, it is one fused pass over memory (read p, g, buf; write p, buf):
// the backend's sgd_step primitive; elsewhere the same formula as tensor ops.
#include <vector>

#include "backends/sgd_step.h"
#include "tensor/tensor.h"

namespace peso::nn::optim {

// lr, momentum, dampening, weight_decay, nesterov, maximize: the backend's SgdScalars.
using SGDCoefficients = SgdScalars;

// torch.optim.SGD's single-tensor update (d = -grad when maximize):
//   d = d + weight_decay * p                          (when weight_decay != 0)
//   buf = d                                           (momentum != 0, first step:
//                                                      buf undefined, created here)
//   buf = buf * momentum + (1 - dampening) * d        (later steps)
//   d = nesterov ? d + momentum * buf : buf
//   p = p + (-lr) * d
// On CPUs with FMA each "x + a * y" is one fused multiply-add, as in
// PyTorch's vectorized add-with-alpha: float32 results were bit-identical to
// torch.optim.SGD's. momentum_buffer stays undefined when momentum is 0.
void sgd_update(Tensor& param, const Tensor& grad, Tensor& momentum_buffer, const SGDCoefficients& c);

// Many fused updates in one parallel region. A task's momentum_buffer is
// defined when momentum != 0; new_buffer says it was just created (its
// contents are then ignored and it becomes a copy of the first step's d).
struct SGDFusedTask {
    Tensor param, grad, momentum_buffer;
    bool new_buffer = false;
    SGDCoefficients coefficients;
};
void sgd_update_fused_many(const std::vector<SGDFusedTask>& tasks);

// The two paths, for tests: the fused loop (throws unless sgd_update_fusable)
// and the tensor-op composite (any device and layout).
bool sgd_update_fusable(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer);
void sgd_update_fused(Tensor& param, const Tensor& grad, Tensor& momentum_buffer, const SGDCoefficients& c);
void sgd_update_composite(Tensor& param, const Tensor& grad, Tensor& momentum_buffer, const SGDCoefficients& c);

}  // namespace peso::nn::optim
