#include "distributed/init.h"

#include <cstdlib>

#include "core/error.h"
#include "distributed/single_communicator.h"
#ifdef PESO_WITH_MPI
#include "distributed/mpi_communicator.h"
#endif

namespace peso::distributed {

bool launched_by_mpirun() {
    for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"})
        if (std::getenv(var) != nullptr) return true;
    return false;
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

void set_stop_flag(std::atomic<bool>* flag) {
#ifdef PESO_WITH_MPI
    MpiCommunicator::set_stop_flag(flag);
#else
    (void)flag;
#endif
}

}  // namespace peso::distributed
