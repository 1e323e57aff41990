#pragma once
// The SGD update as a backend primitive: what one parameter's fused step
// needs, as plain data (nn/optim hands the scalars down; backends know
// nothing of optimizers).
#include "backends/tensor_arg.h"

namespace peso {

// torch.optim.SGD's hyperparameters, in double as torch.optim keeps them.
struct SgdScalars {
    double lr = 1e-3;
    double momentum = 0.0;
    double dampening = 0.0;
    double weight_decay = 0.0;
    bool nesterov = false;
    bool maximize = false;
};

// One parameter's update: param, grad and (when momentum != 0) momentum_buffer
// contiguous, of one floating dtype (float32 or float64) and one number of
// elements. new_buffer: the buffer was just allocated, its contents are
// ignored and it becomes a copy of this step's direction (torch.clone(d)).
struct SgdTask {
    TensorArg param, grad, momentum_buffer;
    bool new_buffer = false;
    SgdScalars scalars;
};

}  // namespace peso
