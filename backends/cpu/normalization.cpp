// normalization: not implemented yet (placeholder replaced by the real kernels).
#include "backends/cpu/cpu_backend.h"

namespace peso {

void CpuBackend::softmax(const TensorArg& out, const TensorArg& in, bool log) {
    throw NotImplementedError("cpu backend: softmax not implemented yet");
}

void CpuBackend::layer_norm(const TensorArg& out, const TensorArg& mean, const TensorArg& rstd, const TensorArg& x, const TensorArg& weight, const TensorArg& bias, double eps) {
    throw NotImplementedError("cpu backend: layer_norm not implemented yet");
}

}  // namespace peso
