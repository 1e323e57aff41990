// Placeholder: not implemented yet.
#include "tensor/native.h"

namespace peso::native {

Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim) {
    throw NotImplementedError("cat: not implemented yet");
}
Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim) {
    throw NotImplementedError("stack: not implemented yet");
}
std::vector<Tensor> split(const Tensor& x, std::int64_t split_size, std::int64_t dim) {
    throw NotImplementedError("split: not implemented yet");
}
std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& sizes, std::int64_t dim) {
    throw NotImplementedError("split: not implemented yet");
}
std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, std::int64_t dim) {
    throw NotImplementedError("chunk: not implemented yet");
}
Tensor tril(const Tensor& x, std::int64_t diagonal) {
    throw NotImplementedError("tril: not implemented yet");
}
Tensor triu(const Tensor& x, std::int64_t diagonal) {
    throw NotImplementedError("triu: not implemented yet");
}

}  // namespace peso::native
