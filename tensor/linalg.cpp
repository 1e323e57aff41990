// Placeholder: not implemented yet.
#include "tensor/native.h"

namespace peso::native {

Tensor matmul(const Tensor& a, const Tensor& b) {
    throw NotImplementedError("matmul: not implemented yet");
}
Tensor mm(const Tensor& a, const Tensor& b) {
    throw NotImplementedError("mm: not implemented yet");
}
Tensor bmm(const Tensor& a, const Tensor& b) {
    throw NotImplementedError("bmm: not implemented yet");
}
Tensor einsum(std::string_view equation, const std::vector<Tensor>& operands) {
    throw NotImplementedError("einsum: not implemented yet");
}

}  // namespace peso::native
