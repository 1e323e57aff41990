#pragma once
// peso's CUDA emulator, for CUDA sources built by a host compiler: the CUDA
// toolkit's host-side headers plus the device builtins, atomics and math that
// kernels use, implemented on the CPU. Include backends/cuda/cuda_compat.h
// rather than this file; docs/cuda_emulation.md explains the whole.
#if defined(__CUDACC__)
#error "backends/cuda/emu is the host compiler's stand-in for CUDA; nvcc builds use the real runtime"
#endif

#include "backends/cuda/emu/toolkit_headers.h"

#include "backends/cuda/emu/atomics.h"
#include "backends/cuda/emu/device_builtins.h"
#include "backends/cuda/emu/device_math.h"
#include "backends/cuda/emu/kernel_error.h"
#include "backends/cuda/emu/runtime_templates.h"
#include "backends/cuda/emu/shared_memory.h"
#include "backends/cuda/emu/thread_order.h"
