#include "autograd/reduce_grad.h"

#include "autograd/functions.h"
#include "tensor/native.h"

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

Tensor view_grad_to_base(const Tensor& grad, const Dims& base_shape, const Dims& sizes, const Dims& strides,
                         std::int64_t offset) {
    Dims sz = sizes;
    Dims summed;
    for (int d = 0; d < sz.size(); ++d)
        if (strides[d] == 0 && sz[d] != 1) summed.push_back(d);
    const Tensor g = summed.empty() ? grad : sum(grad, summed, true);
    for (std::int64_t d : summed) sz[static_cast<int>(d)] = 1;
    Tensor base_grad = native::zeros(base_shape, TensorOptions(grad.dtype()).device(grad.device()));
    Tensor region = base_grad.as_strided(sz, strides, offset);
    region.copy_(g);
    return base_grad;
}

}  // namespace peso::autograd
