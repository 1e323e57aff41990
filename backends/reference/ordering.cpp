// ordering: not implemented yet (placeholder replaced by the real kernels).
#include "backends/reference/reference_backend.h"

namespace peso {

void ReferenceBackend::sort(const TensorArg& values, const TensorArg& indices, const TensorArg& in, bool descending) {
    throw NotImplementedError("reference backend: sort not implemented yet");
}

void ReferenceBackend::topk(const TensorArg& values, const TensorArg& indices, const TensorArg& in, std::int64_t k, bool largest) {
    throw NotImplementedError("reference backend: topk not implemented yet");
}

void ReferenceBackend::cumsum(const TensorArg& out, const TensorArg& in) {
    throw NotImplementedError("reference backend: cumsum not implemented yet");
}

}  // namespace peso
