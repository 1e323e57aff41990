// softmax / log_softmax and layer_norm over the last dim of contiguous rows:
// one block per row, the row's statistics through block reductions.
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

struct Sum {
    template <class T>
    __device__ T operator()(T a, T b) const { return a + b; }
};
// NaN-propagating max: a NaN in the row makes every output NaN, as the
// reference's sum does.
struct MaxNan {
    template <class T>
    __device__ T operator()(T a, T b) const { return a != a ? a : (b != b ? b : (b > a ? b : a)); }
};

template <class T>
__global__ void softmax_kernel(const T* in, T* out, std::int64_t rows, std::int64_t n, bool log) {
    PESO_SHARED(T[32], scratch);
    for (std::int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* x = in + row * n;
        T* y = out + row * n;
        // Subtracting the max keeps exp from overflowing; a row of -inf gives
        // -inf - -inf = NaN, as in PyTorch.
        T mx = -std::numeric_limits<T>::infinity();
        for (std::int64_t i = threadIdx.x; i < n; i += blockDim.x) mx = MaxNan{}(mx, x[i]);
        mx = block_reduce(mx, MaxNan{}, scratch, blockDim.x);
        T sum = 0;
        for (std::int64_t i = threadIdx.x; i < n; i += blockDim.x) sum += std::exp(x[i] - mx);
        sum = block_reduce(sum, Sum{}, scratch, blockDim.x);
        const T log_sum = std::log(sum);
        for (std::int64_t i = threadIdx.x; i < n; i += blockDim.x)
            y[i] = log ? x[i] - mx - log_sum : std::exp(x[i] - mx) / sum;
    }
}

template <class T>
__global__ void layer_norm_kernel(const T* x, const T* weight, const T* bias, T* out, T* mean, std::int64_t mean_stride,
                                  T* rstd, std::int64_t rstd_stride, std::int64_t rows, std::int64_t d, double eps) {
    PESO_SHARED(T[32], scratch);
    for (std::int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* xr = x + row * d;
        T* yr = out + row * d;
        T sum = 0;
        for (std::int64_t i = threadIdx.x; i < d; i += blockDim.x) sum += xr[i];
        const T mu = block_reduce(sum, Sum{}, scratch, blockDim.x) / static_cast<T>(d);
        T m2 = 0;
        for (std::int64_t i = threadIdx.x; i < d; i += blockDim.x) m2 += (xr[i] - mu) * (xr[i] - mu);
        m2 = block_reduce(m2, Sum{}, scratch, blockDim.x);
        const T rs = T(1) / std::sqrt(m2 / static_cast<T>(d) + static_cast<T>(eps));  // biased variance, as PyTorch
        for (std::int64_t i = threadIdx.x; i < d; i += blockDim.x) {
            T v = (xr[i] - mu) * rs;
            if (weight != nullptr) v *= weight[i];
            if (bias != nullptr) v += bias[i];
            yr[i] = v;
        }
        if (threadIdx.x == 0) {
            mean[row * mean_stride] = mu;
            rstd[row * rstd_stride] = rs;
        }
    }
}

}  // namespace

void CudaBackend::softmax(const TensorArg& out, const TensorArg& in, bool log) {
    const DeviceGuard guard(device_);
    visit_floating(in.dtype, log ? "log_softmax" : "softmax", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const std::int64_t rows = in.sizes[0], n = in.sizes[1];
        if (rows == 0 || n == 0) return;
        launch(softmax_kernel<T>, grid_for(rows, 1), reduce_threads(n), 0, current_stream(), in.ptr<const T>(),
               out.ptr<T>(), rows, n, log);
    });
}

void CudaBackend::layer_norm(const TensorArg& out, const TensorArg& mean, const TensorArg& rstd, const TensorArg& x,
                             const TensorArg& weight, const TensorArg& bias, double eps) {
    const DeviceGuard guard(device_);
    visit_floating(x.dtype, "layer_norm", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const std::int64_t rows = x.sizes[0], d = x.sizes[1];
        if (rows == 0) return;
        launch(layer_norm_kernel<T>, grid_for(rows, 1), reduce_threads(d), 0, current_stream(), x.ptr<const T>(),
               weight.ptr<const T>(), bias.ptr<const T>(), out.ptr<T>(), mean.ptr<T>(), mean.strides[0], rstd.ptr<T>(),
               rstd.strides[0], rows, d, eps);
    });
}

PESO_CUDA_NAMESPACE_END
