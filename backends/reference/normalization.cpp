// normalization: not implemented yet (placeholder replaced by the real kernels).
#include "backends/reference/reference_backend.h"

namespace peso {

void ReferenceBackend::softmax(const TensorArg& out, const TensorArg& in, bool log) {
    throw NotImplementedError("reference backend: softmax not implemented yet");
}

void ReferenceBackend::layer_norm(const TensorArg& out, const TensorArg& mean, const TensorArg& rstd, const TensorArg& x, const TensorArg& weight, const TensorArg& bias, double eps) {
    throw NotImplementedError("reference backend: layer_norm not implemented yet");
}

}  // namespace peso
