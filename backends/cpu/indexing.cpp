// indexing: not implemented yet (placeholder replaced by the real kernels).
#include "backends/cpu/cpu_backend.h"

namespace peso {

void CpuBackend::index_select(const TensorArg& out, const TensorArg& in, const TensorArg& index) {
    throw NotImplementedError("cpu backend: index_select not implemented yet");
}

void CpuBackend::index_add(const TensorArg& self, const TensorArg& index, const TensorArg& src, Scalar alpha) {
    throw NotImplementedError("cpu backend: index_add not implemented yet");
}

void CpuBackend::gather(const TensorArg& out, const TensorArg& in, const TensorArg& index, int dim) {
    throw NotImplementedError("cpu backend: gather not implemented yet");
}

void CpuBackend::scatter(const TensorArg& self, const TensorArg& index, const TensorArg& src, int dim, bool accumulate) {
    throw NotImplementedError("cpu backend: scatter not implemented yet");
}

}  // namespace peso
