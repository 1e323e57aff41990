#pragma once
// The communicator of a single process (world size 1): every collective is the
// identity, so code written for data parallelism runs unchanged without MPI.
#include "distributed/communicator.h"

namespace peso::distributed {

class SingleCommunicator final : public Communicator {
public:
    int rank() const override { return 0; }
    int world_size() const override { return 1; }
    std::string backend_name() const override { return "single"; }
    WorkPtr allreduce(Tensor& t, ReduceOp op) override;
    WorkPtr broadcast(Tensor& t, int root) override;
    WorkPtr allgather(Tensor& t) override;
    WorkPtr reduce_scatter(Tensor& t, ReduceOp op) override;
    void barrier() override {}
};

}  // namespace peso::distributed
