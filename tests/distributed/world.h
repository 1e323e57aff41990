#pragma once
// The process's communicator for the distributed tests: MPI under mpirun
// (ctest starts these tests with 2 ranks), the single-process one otherwise.
// MPI starts once per process, so every test case shares it.
#include "distributed/init.h"

namespace peso::test {

inline std::shared_ptr<distributed::Communicator> world() {
    static const std::shared_ptr<distributed::Communicator> c = distributed::init_process_group();
    return c;
}

}  // namespace peso::test
