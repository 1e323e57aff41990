#pragma once
// The one header peso's CUDA code includes, kernels and the host code that
// launches them alike. Under nvcc it is the CUDA runtime; under a host compiler
// it is peso's CUDA emulator (tools/cuda_emu), so that the same sources are
// built for GPUs and run on the CPU in tests (docs/cuda_emulation.md).
//
// Rules for sources meant for both:
//  - launch kernels with peso::cuda::launch (backends/cuda/launch.h), never <<<>>>;
//  - static shared memory through PESO_SHARED(float[256], buf) (a plain
//    __shared__ fails to compile under the emulator), dynamic shared memory
//    through peso::cuda::dynamic_shared<T>() instead of `extern __shared__`;
//  - put code in PESO_CUDA_NAMESPACE_BEGIN/END, so that an emulated and a real
//    build of one source can live in one program.
#if defined(__CUDACC__) && !defined(FMT_USE_CONSTEXPR)
// fmt switches constexpr off for nvcc's front end but not for the host
// compiler nvcc hands the code to, which then rejects fmt's headers in C++20.
// The build defines this for every CUDA source (backends/cuda/CMakeLists.txt);
// here it covers sources whose first fmt include comes after this header.
#define FMT_USE_CONSTEXPR 1
#endif

#include <type_traits>

#if defined(__CUDACC__)
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#define PESO_CUDA_EMULATED 0
#define PESO_CUDA_FLAVOR gpu
#else
#include "tools/cuda_emu/cuda_emu.h"
#define PESO_CUDA_EMULATED 1
#define PESO_CUDA_FLAVOR emulated
#endif

// PESO_SHARED(float[32][33], tile) declares `tile` in the block's static shared
// memory, as `__shared__ float tile[32][33]` does. (A type with a comma in it
// needs an alias first.)
#if PESO_CUDA_EMULATED
#define PESO_SHARED(type, name) \
    ::std::type_identity_t<type>& name = ::peso::cuda::emu::block_shared<::std::type_identity_t<type>>([] {})
#else
#define PESO_SHARED(type, name) __shared__ ::std::type_identity_t<type> name
#endif

#define PESO_CUDA_NAMESPACE_BEGIN \
    namespace peso::cuda {        \
    inline namespace PESO_CUDA_FLAVOR {
#define PESO_CUDA_NAMESPACE_END \
    }                           \
    }

PESO_CUDA_NAMESPACE_BEGIN

// The block's dynamic shared memory (the launch's dynamic_shared_bytes),
// aligned for any type; one region however many types view it.
template <class T>
__device__ __forceinline__ T* dynamic_shared() {
#if PESO_CUDA_EMULATED
    return static_cast<T*>(::peso::cuda::emu::dynamic_shared_memory());
#else
    extern __shared__ __align__(16) unsigned char peso_dynamic_shared_memory[];
    return reinterpret_cast<T*>(peso_dynamic_shared_memory);
#endif
}

PESO_CUDA_NAMESPACE_END
