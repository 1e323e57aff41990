// Fused cross-entropy over contiguous (N, C) rows, one block per row: the
// forward reduces each row to its max and its sum of exps (block
// reductions), the backward writes (exp(x - lse) - one_hot) * g in one pass.
#include <cmath>
#include <cstdint>
#include <limits>

#include "backends/cuda/block_reduce.cuh"
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/device_guard.h"
#include "backends/cuda/kernel_layout.cuh"
#include "backends/cuda/launch.h"
#include "backends/cuda/stream.h"

PESO_CUDA_NAMESPACE_BEGIN

namespace {

// Where a row's target, mask and per-row values live (strided vectors).
template <class T>
struct RowVectors {
    const std::int64_t* target;
    std::int64_t target_stride;
    const bool* valid;
    std::int64_t valid_stride;
    T* lse;  // written by the forward (may be null), read by the backward
    std::int64_t lse_stride;
};

template <class T>
RowVectors<T> row_vectors(const TensorArg& target, const TensorArg& valid, const TensorArg& lse) {
    return {target.ptr<const std::int64_t>(), target.strides[0], valid.ptr<const bool>(), valid.strides[0],
            lse.ptr<T>(), lse.data != nullptr ? lse.strides[0] : 0};
}

template <class T>
__global__ void cross_entropy_kernel(const T* logits, T* loss, std::int64_t loss_stride, RowVectors<T> v,
                                     std::int64_t rows, std::int64_t n) {
    PESO_SHARED(T[32], scratch);
    for (std::int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* x = logits + row * n;
        const RowExpStats<T> st = block_row_exp_stats(x, n, scratch);
        if (threadIdx.x == 0) {
            const T lse = st.max + std::log(st.sum);
            if (v.lse != nullptr) v.lse[row * v.lse_stride] = lse;
            // A target out of range was recorded by the front-end's device check: NaN, never a stray read.
            const std::int64_t t = v.target[row * v.target_stride];
            const bool in_range = t >= 0 && t < n;
            loss[row * loss_stride] = !v.valid[row * v.valid_stride]
                                          ? T(0)
                                          : (in_range ? lse - x[t] : std::numeric_limits<T>::quiet_NaN());
        }
    }
}

template <class T>
__global__ void cross_entropy_backward_kernel(const T* logits, T* dlogits, const T* grad, std::int64_t grad_stride,
                                              RowVectors<T> v, std::int64_t rows, std::int64_t n) {
    for (std::int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* x = logits + row * n;
        T* dx = dlogits + row * n;
        const bool valid = v.valid[row * v.valid_stride];
        const std::int64_t t = valid ? v.target[row * v.target_stride] : -1;
        const bool ok = valid && t >= 0 && t < n;  // an out-of-range target (recorded as failed): a 0 row
        const T g = ok ? grad[row * grad_stride] : T(0);
        const T lse = v.lse[row * v.lse_stride];
        for (std::int64_t i = threadIdx.x; i < n; i += blockDim.x)
            dx[i] = ok ? (std::exp(x[i] - lse) - (i == t ? T(1) : T(0))) * g : T(0);
    }
}

}  // namespace

void CudaBackend::cross_entropy(const TensorArg& loss, const TensorArg& lse, const TensorArg& logits,
                                const TensorArg& target, const TensorArg& valid) {
    const DeviceGuard guard(device_);
    visit_floating(logits.dtype, "cross_entropy", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const std::int64_t rows = logits.sizes[0], n = logits.sizes[1];
        if (rows == 0 || n == 0) return;
        launch(cross_entropy_kernel<T>, grid_for(rows, 1), reduce_threads(n), 0, current_stream(),
               logits.ptr<const T>(), loss.ptr<T>(), loss.strides[0], row_vectors<T>(target, valid, lse), rows, n);
    });
}

void CudaBackend::cross_entropy_backward(const TensorArg& dlogits, const TensorArg& grad, const TensorArg& logits,
                                         const TensorArg& target, const TensorArg& valid, const TensorArg& lse) {
    const DeviceGuard guard(device_);
    visit_floating(logits.dtype, "cross_entropy_backward", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const std::int64_t rows = logits.sizes[0], n = logits.sizes[1];
        if (rows == 0 || n == 0) return;
        launch(cross_entropy_backward_kernel<T>, grid_for(rows, 1), threads_for(n), 0, current_stream(),
               logits.ptr<const T>(), dlogits.ptr<T>(), grad.ptr<const T>(), grad.strides[0],
               row_vectors<T>(target, valid, lse), rows, n);
    });
}

PESO_CUDA_NAMESPACE_END
