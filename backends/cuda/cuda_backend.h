#pragma once
// The CUDA backend: every Backend primitive as CUDA kernels (launched through
// peso::cuda::launch, so that the same sources run on a GPU when nvcc builds
// them and on the CPU under the emulator when g++ does), matmul through cuBLAS
// (the CPU BLAS under the emulator), memory from a caching allocator, work
// queued on the calling thread's current stream (backends/cuda/stream.h).
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "backends/backend.h"
#include "backends/cuda/caching_allocator.h"
#include "backends/cuda/cuda_compat.h"
#include "backends/cuda/pinned_staging.h"

PESO_CUDA_NAMESPACE_BEGIN

class CudaBackend final : public Backend {
public:
    explicit CudaBackend(int device);
    std::string_view name() const override;
    DeviceType device_type() const override { return DeviceType::cuda; }
    Allocator& allocator() override { return allocator_; }
    CachingAllocator& caching_allocator() { return allocator_; }
    PinnedStaging& pinned_staging() { return staging_; }
    int device() const { return device_; }

    void copy(const TensorArg& dst, const TensorArg& src) override;
    void copy_from_host(void* dst, const void* src, std::size_t nbytes) override;
    void copy_to_host(void* dst, const void* src, std::size_t nbytes) override;
    void fill(const TensorArg& dst, Scalar value) override;
    void arange(const TensorArg& dst, double start, double step) override;
    void random(const TensorArg& dst, RandomKind kind, std::uint64_t seed, std::uint64_t offset, double a,
                double b) override;

    void unary(UnaryOp op, const TensorArg& out, const TensorArg& in, const UnaryParams& p) override;
    void binary(BinaryOp op, const TensorArg& out, const TensorArg& a, const TensorArg& b) override;
    void where(const TensorArg& out, const TensorArg& cond, const TensorArg& a, const TensorArg& b) override;

    void reduce(ReduceOp op, const TensorArg& out, const TensorArg& in) override;
    void reduce_var(const TensorArg& out, const TensorArg& in, double correction) override;
    void reduce_with_index(ReduceOp op, const TensorArg& values, const TensorArg& indices,
                           const TensorArg& in) override;

    void matmul(const TensorArg& out, const TensorArg& a, const TensorArg& b) override;

    void softmax(const TensorArg& out, const TensorArg& in, bool log) override;
    void layer_norm(const TensorArg& out, const TensorArg& mean, const TensorArg& rstd, const TensorArg& x,
                    const TensorArg& weight, const TensorArg& bias, double eps) override;
    void layer_norm_backward(const TensorArg& dx, const TensorArg& dweight, const TensorArg& dbias,
                             const TensorArg& dy, const TensorArg& x, const TensorArg& mean, const TensorArg& rstd,
                             const TensorArg& weight) override;
    void cross_entropy(const TensorArg& loss, const TensorArg& lse, const TensorArg& logits, const TensorArg& target,
                       const TensorArg& valid) override;
    void cross_entropy_backward(const TensorArg& dlogits, const TensorArg& grad, const TensorArg& logits,
                                const TensorArg& target, const TensorArg& valid, const TensorArg& lse) override;
    void attention(const TensorArg& out, const TensorArg& lse, const TensorArg& q, const TensorArg& k,
                   const TensorArg& v, const AttentionParams& p) override;
    void attention_backward(const TensorArg& dq, const TensorArg& dk, const TensorArg& dv, const TensorArg& dout,
                            const TensorArg& q, const TensorArg& k, const TensorArg& v, const TensorArg& out,
                            const TensorArg& lse, const AttentionParams& p) override;
    void adam_step(std::span<const AdamTask> tasks) override;
    void sgd_step(std::span<const SgdTask> tasks) override;
    void norm_powers(const TensorArg& out, std::span<const TensorArg> inputs, double p) override;

    void index_select(const TensorArg& out, const TensorArg& in, const TensorArg& index) override;
    void index_add(const TensorArg& self, const TensorArg& index, const TensorArg& src, Scalar alpha) override;
    void gather(const TensorArg& out, const TensorArg& in, const TensorArg& index, int dim) override;
    void scatter(const TensorArg& self, const TensorArg& index, const TensorArg& src, int dim,
                 bool accumulate) override;

    void sort(const TensorArg& values, const TensorArg& indices, const TensorArg& in, bool descending) override;
    void topk(const TensorArg& values, const TensorArg& indices, const TensorArg& in, std::int64_t k,
              bool largest) override;
    void cumsum(const TensorArg& out, const TensorArg& in) override;

    bool checks_on_device() const override { return true; }
    void record_check(const TensorArg& bad, const TensorArg& value, std::int32_t id) override;
    FailedCheck take_failed_check() override;

    // The first failed device check (backends/cuda/device_checks.cu), in pinned host memory.
    struct CheckRecord {
        int id;
        long long value;
    };

private:
    struct PinnedFree {
        void operator()(CheckRecord* p) const noexcept;
    };
    CheckRecord* check_record();

    int device_;
    CachingAllocator allocator_;
    PinnedStaging staging_;
    std::mutex check_mutex_;
    std::unique_ptr<CheckRecord, PinnedFree> check_record_;
};

// The backend of CUDA device `index`; throws DeviceError when there is none.
Backend& device_backend(int index);
// The backend of device `index` as its concrete type (for allocator statistics and tests).
CudaBackend& cuda_backend(int index = 0);
// The number of CUDA devices (0 when the query fails), asked once.
int device_count();

// cudaGetDeviceCount's answer, asked anew: the count, or the error that stopped it.
struct DeviceQuery {
    int count = 0;
    cudaError_t error = cudaSuccess;
};
DeviceQuery query_devices();
// Why `q` gives no device, naming the CUDA error if there was one; empty when it gives some.
std::string no_device_reason(const DeviceQuery& q);

// TF32 tensor cores for float32 matmul: faster, about 10 bits of mantissa in
// the products. Off unless asked for (or PESO_CUDA_TF32=1), as in PyTorch.
void set_allow_tf32(bool allow);
bool allow_tf32();

PESO_CUDA_NAMESPACE_END
