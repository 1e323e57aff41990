// linalg: not implemented yet (placeholder replaced by the real kernels).
#include "backends/cpu/cpu_backend.h"

namespace peso {

void CpuBackend::matmul(const TensorArg& out, const TensorArg& a, const TensorArg& b) {
    throw NotImplementedError("cpu backend: matmul not implemented yet");
}

}  // namespace peso
