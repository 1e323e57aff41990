#pragma once
// What the emulator knows of one kernel launch, for running it and for naming
// it in error messages.
#include <cstddef>
#include <source_location>
#include <string>

#include "tools/cuda_emu/toolkit_headers.h"

namespace peso::cuda::emu {

struct LaunchInfo {
    const void* kernel = nullptr;
    const char* kernel_type = "";  // the kernel's function type, when its symbol has no name
    std::source_location site;      // the launch() call
    dim3 grid;
    dim3 block;
    std::size_t dynamic_shared_bytes = 0;
    cudaStream_t stream = nullptr;
    std::size_t shared_bytes_limit = 0;  // static plus dynamic, per block; set by run_grid
    std::size_t parameter_bytes = 0;     // the kernel's parameters, as the launch passes them
};

// "kernel peso_test::block_sum<256> launched at test_emulator.cpp:42 with grid (4,1,1), block (256,1,1)".
std::string describe_launch(const LaunchInfo& info);
// "file.cpp:42 in void f(int)".
std::string describe_site(const std::source_location& site);
std::string describe_dim(const dim3& d);

}  // namespace peso::cuda::emu
