// Placeholder: not implemented yet.
#include "tensor/native.h"

namespace peso::native {

Tensor embedding(const Tensor& weight, const Tensor& indices) {
    throw NotImplementedError("embedding: not implemented yet");
}
Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index) {
    throw NotImplementedError("index_select: not implemented yet");
}
Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index) {
    throw NotImplementedError("gather: not implemented yet");
}
Tensor scatter(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src) {
    throw NotImplementedError("scatter: not implemented yet");
}
Tensor scatter(const Tensor& x, std::int64_t dim, const Tensor& index, Scalar value) {
    throw NotImplementedError("scatter: not implemented yet");
}
Tensor scatter_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src) {
    throw NotImplementedError("scatter_add: not implemented yet");
}
Tensor index_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src, Scalar alpha) {
    throw NotImplementedError("index_add: not implemented yet");
}
Tensor& scatter_(Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src) {
    throw NotImplementedError("scatter_: not implemented yet");
}
Tensor& scatter_(Tensor& self, std::int64_t dim, const Tensor& index, Scalar value) {
    throw NotImplementedError("scatter_: not implemented yet");
}
Tensor& scatter_add_(Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src) {
    throw NotImplementedError("scatter_add_: not implemented yet");
}
Tensor& index_add_(Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src, Scalar alpha) {
    throw NotImplementedError("index_add_: not implemented yet");
}
Tensor one_hot(const Tensor& indices, std::int64_t num_classes) {
    throw NotImplementedError("one_hot: not implemented yet");
}

}  // namespace peso::native
