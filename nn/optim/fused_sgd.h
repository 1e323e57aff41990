#pragma once
// The SGD update of one parameter: one fused pass over memory on CPU
// float32/float64 contiguous tensors (read p, g, buf; write p, buf), the
// same formula as tensor ops elsewhere.
#include <vector>

#include "tensor/tensor.h"

namespace peso::nn::optim {

struct SGDCoefficients {
    double lr = 1e-3;
    double momentum = 0.0;
    double dampening = 0.0;
    double weight_decay = 0.0;
    bool nesterov = false;
    bool maximize = false;
};

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
