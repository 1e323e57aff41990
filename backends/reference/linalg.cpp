// linalg: not implemented yet (placeholder replaced by the real kernels).
#include "backends/reference/reference_backend.h"

namespace peso {

void ReferenceBackend::matmul(const TensorArg& out, const TensorArg& a, const TensorArg& b) {
    throw NotImplementedError("reference backend: matmul not implemented yet");
}

}  // namespace peso
