// Batched matmul: float32/float64 through cuBLAS (the CPU BLAS under the
// emulator), integers through a tiled kernel. peso's operands are row-major
// with arbitrary strides; cuBLAS is column-major, so out = a @ b is computed
// as out^T = b^T @ a^T, and each operand is passed as is when one of its
// matrix dims has unit stride (transposed views included), else copied.
#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "backends/cuda/check.h"
#include "backends/cuda/cublas_compat.h"
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/device_guard.h"
#include "backends/cuda/kernel_layout.cuh"
#include "backends/cuda/launch.h"
#include "backends/cuda/scratch.h"
#include "backends/cuda/stream.h"

PESO_CUDA_NAMESPACE_BEGIN

namespace {

void check_cublas(cublasStatus_t status, const char* what) {
    if (status != CUBLAS_STATUS_SUCCESS)
        throw DeviceError(std::string("cuBLAS ") + what + " failed: " + cublasGetStatusString(status));
}

// cuBLAS's workspace per handle: what PyTorch gives it by default (32 MiB on
// Hopper, 4 MiB before).
std::size_t workspace_bytes(int device) {
    int major = 0;
    PESO_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
    return major >= 9 ? std::size_t{32} << 20 : std::size_t{4} << 20;
}

// One handle, with its own workspace, per (host thread, device, stream):
// handles are not thread-safe, and two streams sharing one workspace would
// race on it, as the gemms of different streams may run at once.
cublasHandle_t cublas_handle(int device, cudaStream_t stream) {
    struct Handle {
        cublasHandle_t handle = nullptr;
        void* workspace = nullptr;
    };
    struct Handles {
        std::map<std::pair<int, cudaStream_t>, Handle> by_stream;
        ~Handles() {
            for (auto& [key, h] : by_stream) {
                (void)cublasDestroy(h.handle);
                if (h.workspace != nullptr) (void)cudaFree(h.workspace);  // waits for the device first
            }
        }
    };
    thread_local Handles handles;
    Handle& h = handles.by_stream[{device, stream}];
    if (h.handle == nullptr) {
        check_cublas(cublasCreate(&h.handle), "cublasCreate");
        check_cublas(cublasSetStream(h.handle, stream), "cublasSetStream");
        const std::size_t bytes = workspace_bytes(device);
        PESO_CUDA_CHECK(cudaMalloc(&h.workspace, bytes));
        check_cublas(cublasSetWorkspace(h.handle, h.workspace, bytes), "cublasSetWorkspace");
    }
    return h.handle;
}

struct Operand {
    cublasOperation_t op;
    int ld;
};

// A row-major (rows x cols) matrix with strides (rs, cs), as a column-major
// operand for the transposed product; none when neither dim has unit stride.
std::optional<Operand> as_operand(std::int64_t rs, std::int64_t cs, std::int64_t rows, std::int64_t cols) {
    auto fits = [](std::int64_t ld, std::int64_t min) { return ld >= (min > 1 ? min : 1) && ld <= INT_MAX; };
    if (cs == 1 || cols == 1) {
        const std::int64_t ld = rows == 1 ? (cols > 1 ? cols : 1) : rs;
        if (fits(ld, cols)) return Operand{CUBLAS_OP_N, static_cast<int>(ld)};
    }
    if (rs == 1 || rows == 1) {
        const std::int64_t ld = cols == 1 ? (rows > 1 ? rows : 1) : cs;
        if (fits(ld, rows)) return Operand{CUBLAS_OP_T, static_cast<int>(ld)};
    }
    return std::nullopt;
}

template <class T>
void gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const T* A, int lda,
          long long sa, const T* B, int ldb, long long sb, T* C, int ldc, long long sc, int batch) {
    const T one = 1, zero = 0;
    if constexpr (std::is_same_v<T, float>)
        check_cublas(
            cublasSgemmStridedBatched(h, ta, tb, m, n, k, &one, A, lda, sa, B, ldb, sb, &zero, C, ldc, sc, batch),
            "cublasSgemmStridedBatched");
    else
        check_cublas(
            cublasDgemmStridedBatched(h, ta, tb, m, n, k, &one, A, lda, sa, B, ldb, sb, &zero, C, ldc, sc, batch),
            "cublasDgemmStridedBatched");
}

constexpr int kTile = 16;

// The grid's y and z dims take at most 65535 blocks: more row tiles or
// batches than that are walked in loops (uniform over the block, so that
// every thread reaches the same barriers).
constexpr std::int64_t kMaxGridYZ = 65535;

// One 16x16 tile of out per block and trip, the k dim in tiles through shared
// memory; products accumulate modulo 2^64, as the reference's integer matmul wraps.
template <class T>
__global__ void matmul_tiled_kernel(const T* a, std::int64_t a0, std::int64_t a1, std::int64_t a2, const T* b,
                                    std::int64_t b0, std::int64_t b1, std::int64_t b2, T* out, std::int64_t batches,
                                    std::int64_t m, std::int64_t n, std::int64_t k) {
    PESO_SHARED(T[kTile][kTile + 1], ta);
    PESO_SHARED(T[kTile][kTile + 1], tb);
    const std::int64_t row_tiles = (m + kTile - 1) / kTile;
    const std::int64_t col = static_cast<std::int64_t>(blockIdx.x) * kTile + threadIdx.x;
    for (std::int64_t batch = blockIdx.z; batch < batches; batch += gridDim.z) {
        for (std::int64_t tile = blockIdx.y; tile < row_tiles; tile += gridDim.y) {
            const std::int64_t row = tile * kTile + threadIdx.y;
            unsigned long long acc = 0;
            for (std::int64_t t = 0; t < k; t += kTile) {
                const std::int64_t ak = t + threadIdx.x, bk = t + threadIdx.y;
                ta[threadIdx.y][threadIdx.x] = row < m && ak < k ? a[batch * a0 + row * a1 + ak * a2] : T(0);
                tb[threadIdx.y][threadIdx.x] = bk < k && col < n ? b[batch * b0 + bk * b1 + col * b2] : T(0);
                __syncthreads();
                for (int p = 0; p < kTile; ++p)
                    acc += static_cast<unsigned long long>(ta[threadIdx.y][p]) *
                           static_cast<unsigned long long>(tb[p][threadIdx.x]);
                __syncthreads();
            }
            if (row < m && col < n) out[(batch * m + row) * n + col] = static_cast<T>(acc);
        }
    }
}

}  // namespace

namespace {
std::atomic<int>& tf32_flag() {
    static std::atomic<int> flag = [] {
        const char* env = std::getenv("PESO_CUDA_TF32");
        return env != nullptr && std::string(env) == "1" ? 1 : 0;
    }();
    return flag;
}
}  // namespace

void set_allow_tf32(bool allow) { tf32_flag().store(allow ? 1 : 0); }
bool allow_tf32() { return tf32_flag().load() != 0; }

void CudaBackend::matmul(const TensorArg& out, const TensorArg& a, const TensorArg& b) {
    const DeviceGuard guard(device_);
    const std::int64_t batch = out.sizes[0], m = out.sizes[1], n = out.sizes[2], k = a.sizes[2];
    if (batch * m * n == 0) return;
    if (k == 0) return fill(out, 0);
    if (out.dtype == DType::i32 || out.dtype == DType::i64) {
        auto run = [&](auto tag) {
            using T = typename decltype(tag)::type;
            const std::int64_t col_tiles = (n + kTile - 1) / kTile, row_tiles = (m + kTile - 1) / kTile;
            PESO_CHECK(col_tiles <= INT_MAX, ValueError, "cuda matmul: {} columns need more than 2^31-1 blocks", n);
            const dim3 grid(static_cast<unsigned>(col_tiles), static_cast<unsigned>(std::min(row_tiles, kMaxGridYZ)),
                            static_cast<unsigned>(std::min(batch, kMaxGridYZ)));
            launch(matmul_tiled_kernel<T>, grid, dim3(kTile, kTile), 0, current_stream(), a.ptr<const T>(),
                   a.strides[0], a.strides[1], a.strides[2], b.ptr<const T>(), b.strides[0], b.strides[1],
                   b.strides[2], out.ptr<T>(), batch, m, n, k);
        };
        if (out.dtype == DType::i32) run(TypeTag<std::int32_t>{});
        else run(TypeTag<std::int64_t>{});
        return;
    }
    PESO_CHECK(batch <= INT_MAX && m <= INT_MAX && n <= INT_MAX && k <= INT_MAX, ValueError,
               "cuda matmul: sizes ({}, {}, {}, {}) exceed cuBLAS's int range", batch, m, n, k);
    visit_floating(out.dtype, "matmul", [&](auto tag) {
        using T = typename decltype(tag)::type;
        // An operand cuBLAS cannot take as laid out is copied to a contiguous scratch buffer.
        auto prepare = [&](const TensorArg& x, std::int64_t rows, std::int64_t cols, std::optional<Scratch>& scratch,
                           long long& batch_stride) -> std::pair<const T*, Operand> {
            batch_stride = x.sizes[0] == 1 ? 0 : x.strides[0];
            if (auto op = as_operand(x.strides[1], x.strides[2], rows, cols)) return {x.ptr<const T>(), *op};
            scratch.emplace(allocator_, static_cast<std::size_t>(x.numel()) * sizeof(T));
            TensorArg dense{scratch->data(), x.dtype, x.sizes, contiguous_strides(x.sizes)};
            copy(dense, x);
            batch_stride = x.sizes[0] == 1 ? 0 : rows * cols;
            return {static_cast<const T*>(scratch->data()), *as_operand(cols, 1, rows, cols)};
        };
        std::optional<Scratch> scratch_a, scratch_b;
        long long sa = 0, sb = 0;
        const auto [pa, opa] = prepare(a, m, k, scratch_a, sa);
        const auto [pb, opb] = prepare(b, k, n, scratch_b, sb);
        cublasHandle_t h = cublas_handle(device_, current_stream(device_));
        if constexpr (std::is_same_v<T, float>)
            check_cublas(cublasSetMathMode(h, allow_tf32() ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH),
                         "cublasSetMathMode");
        gemm<T>(h, opb.op, opa.op, static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), pb, opb.ld, sb, pa,
                opa.ld, sa, out.ptr<T>(), static_cast<int>(n), static_cast<long long>(m) * n, static_cast<int>(batch));
    });
}

PESO_CUDA_NAMESPACE_END
