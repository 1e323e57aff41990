// sum |x|^p (or max |x|) of many tensors in two passes that fill the GPU
// whatever the tensors' sizes: first up to kNormBlocks blocks per tensor (blockIdx.y
// the tensor) each reduce a grid-stride share of it in double, then one block
// per tensor combines their partial results. Launch shapes that depend only on
// the sizes make the sums' order, hence the results, the same from run to run.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "backends/cuda/block_reduce.cuh"
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/device_guard.h"
#include "backends/cuda/kernel_layout.cuh"
#include "backends/cuda/launch.h"
#include "backends/cuda/scratch.h"
#include "backends/cuda/stream.h"

PESO_CUDA_NAMESPACE_BEGIN

namespace {

constexpr int kNormTasksPerLaunch = 64;
constexpr int kNormBlocks = 128;  // partial results per tensor: a multiple of 32, at most 1024

struct NormLaunch {
    int count;
    const void* x[kNormTasksPerLaunch];
    std::int64_t n[kNormTasksPerLaunch];
};
static_assert(sizeof(NormLaunch) <= 4096, "kernel arguments are limited to 4 KB");

__device__ double element_power(double a, double p) {
    if (p == 2.0) return a * a;
    if (p == 1.0) return a;
    return std::pow(a, p);
}

template <class T>
__global__ void norm_partials_kernel(NormLaunch tasks, double p, bool infinite, double* partials) {
    PESO_SHARED(double[32], scratch);
    const int k = blockIdx.y;
    const T* x = static_cast<const T*>(tasks.x[k]);
    const std::int64_t n = tasks.n[k];
    const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
    double acc = 0.0;
    for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
        const double a = std::fabs(static_cast<double>(x[i]));
        acc = infinite ? MaxNan{}(acc, a) : acc + element_power(a, p);
    }
    acc = infinite ? block_reduce(acc, MaxNan{}, scratch, blockDim.x) : block_reduce(acc, Sum{}, scratch, blockDim.x);
    if (threadIdx.x == 0) partials[static_cast<std::int64_t>(k) * gridDim.x + blockIdx.x] = acc;
}

__global__ void norm_combine_kernel(const double* partials, int per_task, bool infinite, double* out) {
    PESO_SHARED(double[32], scratch);
    const double v = threadIdx.x < static_cast<unsigned>(per_task) ? partials[blockIdx.x * per_task + threadIdx.x] : 0.0;
    const double r = infinite ? block_reduce(v, MaxNan{}, scratch, blockDim.x) : block_reduce(v, Sum{}, scratch, blockDim.x);
    if (threadIdx.x == 0) out[blockIdx.x] = r;
}

// Blocks per tensor: enough for the largest tensor of the batch to give each
// thread a few elements, at most kNormBlocks.
int blocks_for(const NormLaunch& batch) {
    const std::int64_t largest = *std::max_element(batch.n, batch.n + batch.count);
    const std::int64_t wanted = (largest + 4 * kThreads - 1) / (4 * kThreads);
    return static_cast<int>(std::clamp<std::int64_t>(wanted, 1, kNormBlocks));
}

template <class T>
void launch_norm(const NormLaunch& batch, double p, double* partials, double* out) {
    const bool infinite = std::isinf(p);
    const int blocks = blocks_for(batch);
    launch(norm_partials_kernel<T>, dim3(static_cast<unsigned>(blocks), static_cast<unsigned>(batch.count)),
           dim3(kThreads), 0, current_stream(), batch, p, infinite, partials);
    launch(norm_combine_kernel, dim3(static_cast<unsigned>(batch.count)), dim3(reduce_threads(blocks)), 0,
           current_stream(), static_cast<const double*>(partials), blocks, infinite, out);
}

}  // namespace

void CudaBackend::norm_powers(const TensorArg& out, std::span<const TensorArg> inputs, double p) {
    const DeviceGuard guard(device_);
    if (inputs.empty()) return;
    for (const TensorArg& x : inputs) visit_floating(x.dtype, "norm_powers", [](auto) {});
    const Scratch partials(allocator(), sizeof(double) * kNormBlocks * kNormTasksPerLaunch);
    // Batches of one dtype, at most kNormTasksPerLaunch tensors each, in input order.
    for (std::size_t begin = 0; begin < inputs.size();) {
        const DType t = inputs[begin].dtype;
        NormLaunch batch{};
        std::size_t k = begin;
        for (; k < inputs.size() && inputs[k].dtype == t && batch.count < kNormTasksPerLaunch; ++k) {
            batch.x[batch.count] = inputs[k].data;
            batch.n[batch.count++] = inputs[k].numel();
        }
        double* o = out.ptr<double>() + begin;
        if (t == DType::f32) launch_norm<float>(batch, p, partials.as<double>(), o);
        else launch_norm<double>(batch, p, partials.as<double>(), o);
        begin = k;
    }
}

PESO_CUDA_NAMESPACE_END
