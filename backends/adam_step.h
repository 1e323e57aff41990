#pragma once
// The Adam/AdamW update as a backend primitive: what one parameter's fused
// step needs, as plain data (nn/optim computes the scalars and hands them
// down; backends know nothing of optimizers).
#include "backends/tensor_arg.h"

namespace peso {

// The scalars of one update, in double as torch.optim computes them in Python.
struct AdamScalars {
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0.0;
    double step_size = 1e-3;             // lr / (1 - beta1^step)
    double bias_correction2_sqrt = 1.0;  // sqrt(1 - beta2^step)
    bool decoupled = false;              // AdamW: p *= 1 - lr * weight_decay
    bool maximize = false;
};

// One parameter's update: param, grad, exp_avg, exp_avg_sq contiguous, of one
// floating dtype (float32 or float64) and one number of elements.
struct AdamTask {
    TensorArg param, grad, exp_avg, exp_avg_sq;
    AdamScalars scalars;
};

}  // namespace peso
