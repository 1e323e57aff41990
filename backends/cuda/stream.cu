#include "backends/cuda/stream.h"

#include "backends/cuda/check.h"

PESO_CUDA_NAMESPACE_BEGIN

namespace {
thread_local cudaStream_t current = nullptr;
}  // namespace

cudaStream_t current_stream() { return current; }
void set_current_stream(cudaStream_t stream) { current = stream; }
void synchronize_current_stream() { PESO_CUDA_CHECK(cudaStreamSynchronize(current)); }

PESO_CUDA_NAMESPACE_END
