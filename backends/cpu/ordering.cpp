// ordering: not implemented yet (placeholder replaced by the real kernels).
#include "backends/cpu/cpu_backend.h"

namespace peso {

void CpuBackend::sort(const TensorArg& values, const TensorArg& indices, const TensorArg& in, bool descending) {
    throw NotImplementedError("cpu backend: sort not implemented yet");
}

void CpuBackend::topk(const TensorArg& values, const TensorArg& indices, const TensorArg& in, std::int64_t k, bool largest) {
    throw NotImplementedError("cpu backend: topk not implemented yet");
}

void CpuBackend::cumsum(const TensorArg& out, const TensorArg& in) {
    throw NotImplementedError("cpu backend: cumsum not implemented yet");
}

}  // namespace peso
