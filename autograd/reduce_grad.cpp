#include "autograd/reduce_grad.h"

#include "autograd/functions.h"

namespace peso::autograd {

Tensor sum_to(const Tensor& grad, const Dims& shape) {
    if (!grad.defined() || grad.sizes() == shape) return grad;
    const int lead = grad.dim() - shape.size();
    PESO_CHECK(lead >= 0, ShapeError, "sum_to: gradient of shape {} cannot be reduced to shape {}", grad.sizes(),
               shape);
    Dims dims;
    for (int i = 0; i < grad.dim(); ++i)
        if (i < lead || (shape[i - lead] == 1 && grad.size(i) != 1)) dims.push_back(i);
    const Tensor summed = dims.empty() ? grad : sum(grad, dims, /*keepdim=*/true);
    return summed.reshape(shape);
}

}  // namespace peso::autograd
