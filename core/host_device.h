#pragma once
// PESO_HD marks a function that CUDA kernels call as well as host code (the
// scalar formulas of backends/scalar_ops.h, Philox): __host__ __device__ under
// nvcc, nothing for host compilers (the CUDA emulator runs kernels as host code).
#if defined(__CUDACC__)
#define PESO_HD __host__ __device__
#else
#define PESO_HD
#endif
