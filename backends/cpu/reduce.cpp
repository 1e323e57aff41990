// reduce: not implemented yet (placeholder replaced by the real kernels).
#include "backends/cpu/cpu_backend.h"

namespace peso {

void CpuBackend::reduce(ReduceOp op, const TensorArg& out, const TensorArg& in) {
    throw NotImplementedError("cpu backend: reduce not implemented yet");
}

void CpuBackend::reduce_var(const TensorArg& out, const TensorArg& in, double correction) {
    throw NotImplementedError("cpu backend: reduce_var not implemented yet");
}

void CpuBackend::reduce_with_index(ReduceOp op, const TensorArg& values, const TensorArg& indices, const TensorArg& in) {
    throw NotImplementedError("cpu backend: reduce_with_index not implemented yet");
}

}  // namespace peso
