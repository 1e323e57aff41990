// softmax / log_softmax, layer_norm and its backward over the last dim of
// contiguous rows: one block per row, the row's statistics through block
// reductions; layer_norm's dweight/dbias by column tiles.
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

template <class T>
__global__ void softmax_kernel(const T* in, T* out, std::int64_t rows, std::int64_t n, bool log) {
    PESO_SHARED(T[32], scratch);
    for (std::int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* x = in + row * n;
        T* y = out + row * n;
        // A row of -inf gives -inf - -inf = NaN, as in PyTorch.
        const auto [mx, sum] = block_row_exp_stats(x, n, scratch);
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

// dx of layer_norm, one block per row: the row's sum(g) and sum(g * xhat)
// (g = dy * weight) through two block reductions, then
// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)).
template <class T>
__global__ void layer_norm_grad_input_kernel(const T* dy, const T* x, const T* mean, std::int64_t mean_stride,
                                             const T* rstd, std::int64_t rstd_stride, const T* weight, T* dx,
                                             std::int64_t rows, std::int64_t d) {
    PESO_SHARED(T[32], scratch);
    for (std::int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* xr = x + row * d;
        const T* gr = dy + row * d;
        const T mu = mean[row * mean_stride], rs = rstd[row * rstd_stride];
        T sum_g = 0, sum_gx = 0;
        for (std::int64_t i = threadIdx.x; i < d; i += blockDim.x) {
            const T g = weight != nullptr ? gr[i] * weight[i] : gr[i];
            sum_g += g;
            sum_gx += g * ((xr[i] - mu) * rs);
        }
        const T m1 = block_reduce(sum_g, Sum{}, scratch, blockDim.x) / static_cast<T>(d);
        const T m2 = block_reduce(sum_gx, Sum{}, scratch, blockDim.x) / static_cast<T>(d);
        for (std::int64_t i = threadIdx.x; i < d; i += blockDim.x) {
            const T g = weight != nullptr ? gr[i] * weight[i] : gr[i];
            dx[row * d + i] = rs * (g - m1 - ((xr[i] - mu) * rs) * m2);
        }
    }
}

// dweight = sum over rows of dy * xhat and dbias = sum of dy: a block takes
// kGradColumns adjacent columns (consecutive threads read consecutive
// addresses) and kGradRowLanes interleaved subsets of the rows, whose partial
// sums meet in shared memory. The sums run in double: a column adds up every
// row (thousands, for a GPT's batch), too many for float's 24 bits, and the
// kernel is bound by memory, not by the adds.
constexpr int kGradColumns = 32;
constexpr int kGradRowLanes = kThreads / kGradColumns;

template <class T>
__global__ void layer_norm_grad_affine_kernel(const T* dy, const T* x, const T* mean, std::int64_t mean_stride,
                                              const T* rstd, std::int64_t rstd_stride, T* dweight, T* dbias,
                                              std::int64_t rows, std::int64_t d) {
    PESO_SHARED(double[2][kGradRowLanes][kGradColumns], partial);
    const unsigned column = threadIdx.x % kGradColumns, lane = threadIdx.x / kGradColumns;
    for (std::int64_t tile = blockIdx.x; tile * kGradColumns < d; tile += gridDim.x) {
        const std::int64_t col = tile * kGradColumns + column;
        double sum_w = 0, sum_b = 0;
        if (col < d) {
            for (std::int64_t r = lane; r < rows; r += kGradRowLanes) {
                const T g = dy[r * d + col];
                sum_w += static_cast<double>(g * ((x[r * d + col] - mean[r * mean_stride]) * rstd[r * rstd_stride]));
                sum_b += static_cast<double>(g);
            }
        }
        __syncthreads();  // the previous tile's sums have been read
        partial[0][lane][column] = sum_w;
        partial[1][lane][column] = sum_b;
        __syncthreads();
        if (lane == 0 && col < d) {
            for (int k = 1; k < kGradRowLanes; ++k) {
                sum_w += partial[0][k][column];
                sum_b += partial[1][k][column];
            }
            if (dweight != nullptr) dweight[col] = static_cast<T>(sum_w);
            if (dbias != nullptr) dbias[col] = static_cast<T>(sum_b);
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

void CudaBackend::layer_norm_backward(const TensorArg& dx, const TensorArg& dweight, const TensorArg& dbias,
                                      const TensorArg& dy, const TensorArg& x, const TensorArg& mean,
                                      const TensorArg& rstd, const TensorArg& weight) {
    const DeviceGuard guard(device_);
    visit_floating(x.dtype, "layer_norm_backward", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const std::int64_t rows = x.sizes[0], d = x.sizes[1];
        if (rows == 0 || d == 0) return;
        if (dx.data != nullptr)
            launch(layer_norm_grad_input_kernel<T>, grid_for(rows, 1), reduce_threads(d), 0, current_stream(),
                   dy.ptr<const T>(), x.ptr<const T>(), mean.ptr<const T>(), mean.strides[0], rstd.ptr<const T>(),
                   rstd.strides[0], weight.ptr<const T>(), dx.ptr<T>(), rows, d);
        if (dweight.data != nullptr || dbias.data != nullptr)
            launch(layer_norm_grad_affine_kernel<T>, grid_for(d, kGradColumns), kThreads, 0, current_stream(),
                   dy.ptr<const T>(), x.ptr<const T>(), mean.ptr<const T>(), mean.strides[0], rstd.ptr<const T>(),
                   rstd.strides[0], dweight.ptr<T>(), dbias.ptr<T>(), rows, d);
    });
}

PESO_CUDA_NAMESPACE_END
