#pragma once
// The one place where a gradient is reduced to the shape of an input that was
// broadcast in the forward pass: sum over the dims the broadcast added or
// stretched from size 1.
#include "tensor/tensor.h"

namespace peso::autograd {

Tensor sum_to(const Tensor& grad, const Dims& shape);

// The gradient of a contiguous tensor of `base_shape` given the gradient of
// its view (sizes, strides, offset relative to the base): zeros everywhere
// but the view's elements. Dims the view broadcasts (stride 0) are summed
// first so that repeated elements add up.
Tensor view_grad_to_base(const Tensor& grad, const Dims& base_shape, const Dims& sizes, const Dims& strides,
                         std::int64_t offset);

}  // namespace peso::autograd
