#pragma once
// cuBLAS for both builds: the real <cublas_v2.h> under nvcc, the emulator's
// CPU-BLAS stand-in (tools/cuda_emu/cublas.h) under a host compiler.
#include "backends/cuda/cuda_compat.h"
#if PESO_CUDA_EMULATED
#include "tools/cuda_emu/cublas.h"
#else
#include <cublas_v2.h>
#endif
