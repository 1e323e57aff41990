#pragma once
// The one place where a gradient is reduced to the shape of an input that was
// broadcast in the forward pass: sum over the dims the broadcast added or
// stretched from size 1.
#include "tensor/tensor.h"

namespace peso::autograd {

Tensor sum_to(const Tensor& grad, const Dims& shape);

}  // namespace peso::autograd
