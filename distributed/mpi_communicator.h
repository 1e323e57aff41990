#pragma once
// The OpenMPI communicator: one rank per process, started by `mpirun`, which
// sets the environment MPI_Init reads.
//
// All MPI calls run on one thread of the communicator's own, in the order the
// collectives were issued (MPI requires the same order on every rank), so
// that communication progresses while the caller's threads compute, and MPI
// needs only MPI_THREAD_FUNNELED (checked at start).
//
// A lost rank never hangs the others: a wait that sees a rank of this machine
// gone, or no progress for `timeout_s` seconds, ends the process with one
// line on stderr naming what was lost (exit status 1), as MPI's own default
// error handler would end it, because the ranks can no longer agree on
// anything. mpirun ends a job whose rank died by sending SIGTERM to the
// others: the handler installed here names the dead rank and exits at once.
#include <atomic>
#include <functional>
#include <memory>

#include "distributed/communicator.h"

namespace peso::distributed {

class MpiCommunicator final : public Communicator {
public:
    // Initializes MPI (once per process). timeout_s <= 0 means the default:
    // $PESO_DIST_TIMEOUT seconds, or 45.
    explicit MpiCommunicator(double timeout_s = 0);
    // MPI_Finalize, on the MPI thread; none while an exception unwinds (see the .cpp).
    ~MpiCommunicator() override;

    int rank() const override;
    int world_size() const override;
    std::string backend_name() const override { return "mpi"; }
    WorkPtr allreduce(Tensor& t, ReduceOp op) override;
    WorkPtr broadcast(Tensor& t, int root) override;
    WorkPtr allgather(Tensor& t) override;
    WorkPtr reduce_scatter(Tensor& t, ReduceOp op) override;
    void barrier() override;

    // Broadcasts `bytes` raw bytes from root (blocking): NCCL's bootstrap.
    void broadcast_bytes(void* data, int bytes, int root);

    // SIGTERM and SIGUSR1 with no rank of this machine lost: mpirun's way to
    // stop a job (Ctrl-C on mpirun sends SIGTERM, then SIGKILL a second later;
    // SIGUSR1 is forwarded as it is). With a flag given here they set it, so
    // that a trainer can stop at the next step and save; without one SIGTERM
    // ends the process and SIGUSR1 is ignored.
    static void set_stop_flag(std::atomic<bool>* flag);

    // Seconds a wait may see no progress before the process gives up.
    double timeout_s() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace peso::distributed
