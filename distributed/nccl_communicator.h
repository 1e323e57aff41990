#pragma once
// The NCCL communicator: collectives on CUDA tensors between GPUs, as llm.c
// and PyTorch run data-parallel training on NVIDIA GPUs. MPI only starts it:
// rank 0's ncclUniqueId is broadcast over the MpiCommunicator, then every
// collective runs on NCCL's own stream, after the work already queued on the
// caller's current stream; Work::wait() blocks until it is done.
//
// Built whenever the CUDA backend and MPI are; it has not yet run on a GPU
// (no machine of this project's CI has one): see docs/distributed.md.
#include <memory>

#include "distributed/mpi_communicator.h"

namespace peso::distributed {

class NcclCommunicator final : public Communicator {
public:
    // device < 0: rank % (number of visible GPUs), the usual one-GPU-per-rank layout.
    explicit NcclCommunicator(std::shared_ptr<MpiCommunicator> mpi, int device = -1);
    ~NcclCommunicator() override;

    int rank() const override;
    int world_size() const override;
    std::string backend_name() const override { return "nccl"; }
    Device device() const override;
    WorkPtr allreduce(Tensor& t, ReduceOp op) override;
    WorkPtr broadcast(Tensor& t, int root) override;
    WorkPtr allgather(Tensor& t) override;
    WorkPtr reduce_scatter(Tensor& t, ReduceOp op) override;
    void barrier() override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace peso::distributed
