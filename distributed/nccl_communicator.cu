// Compiled by nvcc (not g++): it queues work after the CUDA backend's current
// stream, whose real-GPU flavour only nvcc builds see (backends/cuda/cuda_compat.h).
// cuda_compat.h first: it tells fmt how to build under nvcc before anything includes fmt.
#include "backends/cuda/cuda_compat.h"
#include "distributed/nccl_communicator.h"

#include <cuda_runtime.h>
#include <nccl.h>

#include <vector>

#include "backends/cuda/stream.h"
#include "core/error.h"
#include "tensor/native.h"

namespace peso::distributed {

namespace {

void cuda_check(cudaError_t e, const char* what) {
    PESO_CHECK(e == cudaSuccess, DeviceError, "NCCL communicator: {} failed: {}", what, cudaGetErrorString(e));
}

void nccl_check(ncclResult_t r, const char* what) {
    PESO_CHECK(r == ncclSuccess, DeviceError, "NCCL communicator: {} failed: {}", what, ncclGetErrorString(r));
}

ncclDataType_t nccl_type(DType d) {
    switch (d) {
        case DType::f32: return ncclFloat32;
        case DType::f64: return ncclFloat64;
        case DType::i32: return ncclInt32;
        case DType::i64: return ncclInt64;
        case DType::f16: return ncclFloat16;
        case DType::bf16: return ncclBfloat16;
        default: return ncclUint8;
    }
}

// Done when the event recorded after the collective has fired.
class NcclWork final : public Work {
public:
    explicit NcclWork(cudaEvent_t done) : done_(done) {}
    ~NcclWork() override { cudaEventDestroy(done_); }
    void wait() override { cuda_check(cudaEventSynchronize(done_), "cudaEventSynchronize"); }
    bool completed() const override { return cudaEventQuery(done_) == cudaSuccess; }

private:
    cudaEvent_t done_;
};

}  // namespace

struct NcclCommunicator::Impl {
    std::shared_ptr<MpiCommunicator> mpi;
    int device = 0;
    ncclComm_t comm = nullptr;
    cudaStream_t stream = nullptr;

    // Makes NCCL's stream wait for what the caller queued so far, runs `enqueue`
    // on it, and returns a Work on its completion.
    template <typename F> WorkPtr run(F&& enqueue, const char* what) {
        cuda_check(cudaSetDevice(device), "cudaSetDevice");
        cudaEvent_t ready, done;
        cuda_check(cudaEventCreateWithFlags(&ready, cudaEventDisableTiming), "cudaEventCreate");
        cuda_check(cudaEventRecord(ready, cuda::current_stream()), "cudaEventRecord");
        cuda_check(cudaStreamWaitEvent(stream, ready, 0), "cudaStreamWaitEvent");
        cudaEventDestroy(ready);
        enqueue();
        cuda_check(cudaEventCreateWithFlags(&done, cudaEventDisableTiming), "cudaEventCreate");
        cuda_check(cudaEventRecord(done, stream), what);
        return std::make_shared<NcclWork>(done);
    }

    // Calls per_shard(rank, first byte, element count) for every rank's shard
    // of t, inside one NCCL group (one launch).
    template <typename F> void grouped_per_shard(Tensor& t, F&& per_shard) const {
        char* base = static_cast<char*>(t.data_ptr());
        const std::size_t item = t.element_size();
        nccl_check(ncclGroupStart(), "ncclGroupStart");
        for (int r = 0; r < mpi->world_size(); ++r) {
            const auto [first, last] = shard_range(t.numel(), mpi->world_size(), r);
            per_shard(r, base + static_cast<std::size_t>(first) * item, static_cast<std::size_t>(last - first));
        }
        nccl_check(ncclGroupEnd(), "ncclGroupEnd");
    }
};

NcclCommunicator::NcclCommunicator(std::shared_ptr<MpiCommunicator> mpi, int device) : impl_(std::make_unique<Impl>()) {
    PESO_CHECK(mpi != nullptr, ValueError, "NcclCommunicator: needs an MpiCommunicator to start");
    impl_->mpi = std::move(mpi);
    int count = 0;
    cuda_check(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
    PESO_CHECK(count > 0, DeviceError, "NcclCommunicator: no CUDA device visible to rank {}", impl_->mpi->rank());
    impl_->device = device >= 0 ? device : impl_->mpi->rank() % count;
    cuda_check(cudaSetDevice(impl_->device), "cudaSetDevice");
    ncclUniqueId id;
    if (impl_->mpi->rank() == 0) nccl_check(ncclGetUniqueId(&id), "ncclGetUniqueId");
    impl_->mpi->broadcast_bytes(&id, sizeof id, 0);
    nccl_check(ncclCommInitRank(&impl_->comm, impl_->mpi->world_size(), id, impl_->mpi->rank()), "ncclCommInitRank");
    cuda_check(cudaStreamCreateWithFlags(&impl_->stream, cudaStreamNonBlocking), "cudaStreamCreate");
}

NcclCommunicator::~NcclCommunicator() {
    if (impl_->stream != nullptr) {
        cudaStreamSynchronize(impl_->stream);
        cudaStreamDestroy(impl_->stream);
    }
    if (impl_->comm != nullptr) ncclCommDestroy(impl_->comm);
}

int NcclCommunicator::rank() const { return impl_->mpi->rank(); }
int NcclCommunicator::world_size() const { return impl_->mpi->world_size(); }
Device NcclCommunicator::device() const { return Device::cuda(impl_->device); }

WorkPtr NcclCommunicator::allreduce(Tensor& t, ReduceOp op) {
    check_collective_arg("NCCL allreduce", t, true, op, true);
    Impl* impl = impl_.get();
    return impl->run(
        [&] {
            nccl_check(ncclAllReduce(t.data_ptr(), t.data_ptr(), static_cast<std::size_t>(t.numel()),
                                     nccl_type(t.dtype()), op == ReduceOp::avg ? ncclAvg : ncclSum, impl->comm,
                                     impl->stream),
                       "ncclAllReduce");
        },
        "allreduce");
}

WorkPtr NcclCommunicator::broadcast(Tensor& t, int root) {
    check_collective_arg("NCCL broadcast", t, false, ReduceOp::sum, true);
    PESO_CHECK(root >= 0 && root < world_size(), ValueError, "NCCL broadcast: root {} out of range for world size {}",
               root, world_size());
    Impl* impl = impl_.get();
    return impl->run(
        [&] {
            nccl_check(ncclBroadcast(t.data_ptr(), t.data_ptr(), t.nbytes(), ncclUint8, root, impl->comm, impl->stream),
                       "ncclBroadcast");
        },
        "broadcast");
}

// Shards of unequal sizes: one broadcast (allgather) or reduce (reduce_scatter)
// per rank, grouped into a single NCCL launch.
WorkPtr NcclCommunicator::allgather(Tensor& t) {
    check_collective_arg("NCCL allgather", t, false, ReduceOp::sum, true);
    Impl* impl = impl_.get();
    const std::size_t item = t.element_size();
    return impl->run(
        [&] {
            impl->grouped_per_shard(t, [&](int r, char* p, std::size_t count) {
                nccl_check(ncclBroadcast(p, p, count * item, ncclUint8, r, impl->comm, impl->stream), "ncclBroadcast");
            });
        },
        "allgather");
}

WorkPtr NcclCommunicator::reduce_scatter(Tensor& t, ReduceOp op) {
    check_collective_arg("NCCL reduce_scatter", t, true, op, true);
    Impl* impl = impl_.get();
    const ncclRedOp_t nccl_op = op == ReduceOp::avg ? ncclAvg : ncclSum;
    return impl->run(
        [&] {
            impl->grouped_per_shard(t, [&](int r, char* p, std::size_t count) {
                nccl_check(ncclReduce(p, p, count, nccl_type(t.dtype()), nccl_op, r, impl->comm, impl->stream),
                           "ncclReduce");
            });
        },
        "reduce_scatter");
}

void NcclCommunicator::barrier() {
    Tensor one = native::ones({1}, TensorOptions(DType::f32).device(Device::cuda(impl_->device)));
    allreduce(one, ReduceOp::sum)->wait();
}

}  // namespace peso::distributed
