#include "autograd/reduce_grad.h"

#include <algorithm>
#include <cstdlib>
#include <utility>
#include <vector>

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

namespace {

// Whether two elements of the view (dims of size 1 and stride 0 aside) can
// share one memory location: with the dims sorted by stride, each stride must
// step past everything the smaller dims reach.
bool overlapping(const Dims& sizes, const Dims& strides) {
    std::vector<std::pair<std::int64_t, std::int64_t>> dims;  // (stride, size)
    for (int d = 0; d < sizes.size(); ++d)
        if (sizes[d] > 1) dims.emplace_back(std::abs(strides[d]), sizes[d]);
    std::sort(dims.begin(), dims.end());
    std::int64_t reach = 0;  // the largest offset the smaller dims span
    for (const auto& [stride, size] : dims) {
        if (stride <= reach) return true;
        reach += stride * (size - 1);
    }
    return false;
}

// The storage offset of every element of the view, in its own shape.
Tensor element_offsets(const Dims& sizes, const Dims& strides, std::int64_t offset, Device device) {
    Tensor index = native::full({}, offset, TensorOptions(DType::i64).device(device));
    for (int d = 0; d < sizes.size(); ++d) {
        Dims shape = Dims::filled(sizes.size(), 1);
        shape[d] = sizes[d];
        const Tensor steps = native::mul(native::arange(sizes[d], TensorOptions(DType::i64).device(device)),
                                         strides[d]);
        index = native::add(index, native::reshape(steps, shape));
    }
    return native::expand(index, sizes);
}

}  // namespace

Tensor view_grad_to_base(const Tensor& grad, const Dims& base_shape, const Dims& sizes, const Dims& strides,
                         std::int64_t offset) {
    Tensor base_grad = native::zeros(base_shape, TensorOptions(grad.dtype()).device(grad.device()));
    if (grad.numel() == 0) return base_grad;
    Dims sz = sizes;
    Dims summed;
    for (int d = 0; d < sz.size(); ++d)
        if (strides[d] == 0 && sz[d] != 1) summed.push_back(d);
    const Tensor g = summed.empty() ? grad : sum(grad, summed, true);
    for (std::int64_t d : summed) sz[static_cast<int>(d)] = 1;
    if (!overlapping(sz, strides)) {
        Tensor region = base_grad.as_strided(sz, strides, offset);
        region.copy_(g);
        return base_grad;
    }
    // Windows that overlap (as_strided with a stride below the window's
    // extent): an element seen through several view positions gets the sum
    // of their gradients.
    const Tensor index = native::reshape(element_offsets(sz, strides, offset, grad.device()), {-1});
    return reshape(index_add(base_grad.reshape({-1}), 0, index, reshape(g, {-1})), base_shape);
}

}  // namespace peso::autograd
