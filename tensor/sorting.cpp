// Placeholder: not implemented yet.
#include "tensor/native.h"

namespace peso::native {

std::tuple<Tensor, Tensor> sort(const Tensor& x, std::int64_t dim, bool descending) {
    throw NotImplementedError("sort: not implemented yet");
}
Tensor argsort(const Tensor& x, std::int64_t dim, bool descending) {
    throw NotImplementedError("argsort: not implemented yet");
}
std::tuple<Tensor, Tensor> topk(const Tensor& x, std::int64_t k, std::int64_t dim, bool largest, bool sorted) {
    throw NotImplementedError("topk: not implemented yet");
}
Tensor cumsum(const Tensor& x, std::int64_t dim) {
    throw NotImplementedError("cumsum: not implemented yet");
}

}  // namespace peso::native
