#pragma once
// The host side of the CUDA toolkit headers, as the emulator uses them: types
// (dim3, float4, cudaError_t, cudaDeviceProp), the runtime API's declarations
// under peso_emu_ link names, and half/bfloat16 arithmetic. Then the keywords
// that mean something different without nvcc.
#include "tools/cuda_emu/runtime_names.h"

#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include <cuda_bf16.h>

// Static shared memory is declared with PESO_SHARED(type, name), which the
// emulator gives fresh, poisoned storage per block; a plain __shared__ could
// only become a static that keeps the previous block's values and so hides
// races. Say so where one is used.
#undef __shared__
#define __shared__ \
    static_assert(false, "declare shared memory with PESO_SHARED(type, name), or peso::cuda::dynamic_shared<T>() for extern __shared__ (backends/cuda/cuda_compat.h)");
#ifndef __launch_bounds__
#define __launch_bounds__(...)
#endif
#ifndef __grid_constant__
#define __grid_constant__
#endif
// __noinline__ stays undefined: libstdc++ spells __attribute__((__noinline__)).
