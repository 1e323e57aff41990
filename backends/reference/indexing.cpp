// indexing: not implemented yet (placeholder replaced by the real kernels).
#include "backends/reference/reference_backend.h"

namespace peso {

void ReferenceBackend::index_select(const TensorArg& out, const TensorArg& in, const TensorArg& index) {
    throw NotImplementedError("reference backend: index_select not implemented yet");
}

void ReferenceBackend::index_add(const TensorArg& self, const TensorArg& index, const TensorArg& src, Scalar alpha) {
    throw NotImplementedError("reference backend: index_add not implemented yet");
}

void ReferenceBackend::gather(const TensorArg& out, const TensorArg& in, const TensorArg& index, int dim) {
    throw NotImplementedError("reference backend: gather not implemented yet");
}

void ReferenceBackend::scatter(const TensorArg& self, const TensorArg& index, const TensorArg& src, int dim, bool accumulate) {
    throw NotImplementedError("reference backend: scatter not implemented yet");
}

}  // namespace peso
