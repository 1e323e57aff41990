#pragma once
// ZeRO stage 1 (Rajbhandari et al. 2020; PyTorch's ZeroRedundancyOptimizer,
// llm.c's zero.cuh): the optimizer state is sharded across the ranks. Each
// parameter has one owner rank (whole parameters, balanced by size), only the
// owner keeps its Adam moments and updates it, then every parameter is
// broadcast from its owner. Optimizer memory per rank falls by about the world
// size; gradients stay whole (DistributedDataParallel averages them first, so
// that every rank sees the same gradients and gradient clipping is unchanged).
//
// Checkpoints hold the full state (consolidate() gathers it onto one rank), so
// a run can resume on any number of ranks: load the full state into the inner
// optimizer on every rank, then call shard().
#include <memory>

#include "distributed/communicator.h"
#include "nn/optim/optimizer.h"

namespace peso::nn::optim {

class ZeroRedundancyOptimizer {
public:
    // `inner` (Adam or AdamW without amsgrad) must be built over the same
    // parameters on every rank. Drops what state it has for parameters other
    // ranks own.
    ZeroRedundancyOptimizer(Optimizer& inner, std::shared_ptr<distributed::Communicator> comm);

    Optimizer& inner() { return inner_; }
    int owner(std::size_t index) const { return owner_.at(index); }

    // Updates the parameters this rank owns (the others' gradients are set
    // aside for the update and put back), then broadcasts every parameter from
    // its owner.
    void step();

    // Collective. Gives the inner optimizer of rank `to` the full state (for a
    // checkpoint); the other ranks keep theirs. Call shard() afterwards.
    void consolidate(int to = 0);
    // Drops the state of parameters other ranks own.
    void shard();

private:
    std::vector<Tensor> params() const;

    Optimizer& inner_;
    std::shared_ptr<distributed::Communicator> comm_;
    std::vector<int> owner_;  // per parameter, in the optimizer's flat numbering
};

}  // namespace peso::nn::optim
