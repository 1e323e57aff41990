#pragma once
// peso's CUDA emulator, for CUDA sources built by a host compiler: the CUDA
// toolkit's host-side headers plus the device builtins, atomics and math that
// kernels use, implemented on the CPU. Include backends/cuda/cuda_compat.h
// rather than this file; docs/cuda_emulation.md explains the whole.
#if defined(__CUDACC__)
#error "tools/cuda_emu is the host compiler's stand-in for CUDA; nvcc builds use the real runtime"
#endif

#include "tools/cuda_emu/toolkit_headers.h"

#include "tools/cuda_emu/atomics.h"
#include "tools/cuda_emu/device_builtins.h"
#include "tools/cuda_emu/device_math.h"
#include "tools/cuda_emu/kernel_error.h"
#include "tools/cuda_emu/race_check.h"
#include "tools/cuda_emu/runtime_templates.h"
#include "tools/cuda_emu/shared_memory.h"
#include "tools/cuda_emu/thread_order.h"
