// reduce: not implemented yet (placeholder replaced by the real kernels).
#include "backends/reference/reference_backend.h"

namespace peso {

void ReferenceBackend::reduce(ReduceOp op, const TensorArg& out, const TensorArg& in) {
    throw NotImplementedError("reference backend: reduce not implemented yet");
}

void ReferenceBackend::reduce_var(const TensorArg& out, const TensorArg& in, double correction) {
    throw NotImplementedError("reference backend: reduce_var not implemented yet");
}

void ReferenceBackend::reduce_with_index(ReduceOp op, const TensorArg& values, const TensorArg& indices, const TensorArg& in) {
    throw NotImplementedError("reference backend: reduce_with_index not implemented yet");
}

}  // namespace peso
