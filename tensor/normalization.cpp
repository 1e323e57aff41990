// Placeholder: not implemented yet.
#include "tensor/native.h"

namespace peso::native {

Tensor softmax(const Tensor& x, std::int64_t dim) {
    throw NotImplementedError("softmax: not implemented yet");
}
Tensor log_softmax(const Tensor& x, std::int64_t dim) {
    throw NotImplementedError("log_softmax: not implemented yet");
}
std::tuple<Tensor, Tensor, Tensor> layer_norm(const Tensor& x, const Dims& normalized_shape, const Tensor& weight, const Tensor& bias, double eps) {
    throw NotImplementedError("layer_norm: not implemented yet");
}

}  // namespace peso::native
