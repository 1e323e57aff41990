#pragma once
// The communicator of this process, chosen from how it was started: the MPI one
// under mpirun (OpenMPI sets OMPI_COMM_WORLD_SIZE, PMIx launchers PMIX_RANK),
// the single-process one otherwise. On CUDA devices, pass the communicator to
// NcclCommunicator for gradients (distributed/nccl_communicator.h).
#include <atomic>
#include <memory>

#include "distributed/communicator.h"

namespace peso::distributed {

bool launched_by_mpirun();
// This process's index among the ranks on its machine (0 when not under mpirun):
// which GPU a rank takes when every rank has one.
int local_rank();

// timeout_s: see MpiCommunicator. Throws when started by mpirun but peso was
// built without MPI (every rank would train alone, silently).
std::shared_ptr<Communicator> init_process_group(double timeout_s = 0);

// The communicator for tensors on `device`: `process` itself for CPU tensors
// (or one process), an NcclCommunicator bootstrapped over it for CUDA ones.
// Throws when CUDA tensors need NCCL and this peso was built without it.
std::shared_ptr<Communicator> communicator_for(const std::shared_ptr<Communicator>& process, Device device);

// Under MPI: the flag that SIGTERM (mpirun's Ctrl-C) and SIGUSR1 set when no
// rank was lost (MpiCommunicator::set_stop_flag). Nothing without MPI.
void set_stop_flag(std::atomic<bool>* flag);

}  // namespace peso::distributed
