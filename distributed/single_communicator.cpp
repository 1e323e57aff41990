#include "distributed/single_communicator.h"

#include "core/error.h"

namespace peso::distributed {

// The same argument checks as the multi-process communicators, so that a
// mistake shows on one process too; the tensor may live on any device.
WorkPtr SingleCommunicator::allreduce(Tensor& t, ReduceOp op) {
    check_collective_arg("allreduce", t, true, op, t.defined() && t.device().is_cuda());
    return completed_work();
}

WorkPtr SingleCommunicator::broadcast(Tensor& t, int root) {
    check_collective_arg("broadcast", t, false, ReduceOp::sum, t.defined() && t.device().is_cuda());
    PESO_CHECK(root == 0, ValueError, "broadcast: root {} out of range for world size 1", root);
    return completed_work();
}

WorkPtr SingleCommunicator::allgather(Tensor& t) {
    check_collective_arg("allgather", t, false, ReduceOp::sum, t.defined() && t.device().is_cuda());
    return completed_work();
}

WorkPtr SingleCommunicator::reduce_scatter(Tensor& t, ReduceOp op) {
    check_collective_arg("reduce_scatter", t, true, op, t.defined() && t.device().is_cuda());
    return completed_work();
}

}  // namespace peso::distributed
