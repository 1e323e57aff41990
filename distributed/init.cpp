#include "distributed/init.h"

#include <cstdlib>

#include "core/error.h"
#include "distributed/single_communicator.h"
#ifdef PESO_WITH_MPI
#include "distributed/mpi_communicator.h"
#endif
#ifdef PESO_WITH_NCCL
#include "distributed/nccl_communicator.h"
#endif

namespace peso::distributed {

bool launched_by_mpirun() {
    for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"})
        if (std::getenv(var) != nullptr) return true;
    return false;
}

int local_rank() {
    for (const char* var : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "PMIX_LOCAL_RANK"})
        if (const char* v = std::getenv(var)) return std::atoi(v);
    return 0;
}

std::shared_ptr<Communicator> init_process_group(double timeout_s) {
    if (!launched_by_mpirun()) return std::make_shared<SingleCommunicator>();
#ifdef PESO_WITH_MPI
    return std::make_shared<MpiCommunicator>(timeout_s);
#else
    (void)timeout_s;
    throw Error("started by mpirun, but this peso was built without MPI (install libopenmpi-dev and rebuild)");
#endif
}

std::shared_ptr<Communicator> communicator_for(const std::shared_ptr<Communicator>& process, Device device) {
    if (device.is_cpu() || process->world_size() == 1) return process;
#ifdef PESO_WITH_NCCL
    if (auto mpi = std::dynamic_pointer_cast<MpiCommunicator>(process))
        return std::make_shared<NcclCommunicator>(mpi, device.index);
#endif
    throw Error(fmt::format("{} tensors under mpirun need the NCCL communicator, and this peso was built without "
                            "NCCL (it comes with the CUDA toolkit)",
                            device.str()));
}

void set_stop_flag(std::atomic<bool>* flag) {
#ifdef PESO_WITH_MPI
    MpiCommunicator::set_stop_flag(flag);
#else
    (void)flag;
#endif
}

}  // namespace peso::distributed
