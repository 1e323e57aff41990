#pragma once
// Under the emulator the CUDA runtime functions that peso implements get their
// own link names (peso_emu_cudaMalloc, ...). The toolkit's own declarations are
// renamed with them, because this header is read before <cuda_runtime.h>: types
// and default arguments stay the toolkit's, while a program may link the real
// libcudart beside the emulator without a clash. A runtime function missing
// from this list is not emulated: using one fails to link (or, in a build that
// also links libcudart, would reach the real runtime), so add it here and to
// runtime_api.cpp when the backend needs it.
#if defined(__CUDA_RUNTIME_API_H__)
#error "include backends/cuda/cuda_compat.h before any CUDA toolkit header when building for the emulator"
#endif

// Memory.
#define cudaMalloc peso_emu_cudaMalloc
#define cudaFree peso_emu_cudaFree
#define cudaMallocAsync peso_emu_cudaMallocAsync
#define cudaFreeAsync peso_emu_cudaFreeAsync
#define cudaMallocHost peso_emu_cudaMallocHost
#define cudaHostAlloc peso_emu_cudaHostAlloc
#define cudaFreeHost peso_emu_cudaFreeHost
#define cudaHostRegister peso_emu_cudaHostRegister
#define cudaHostUnregister peso_emu_cudaHostUnregister
#define cudaMemcpy peso_emu_cudaMemcpy
#define cudaMemcpyAsync peso_emu_cudaMemcpyAsync
#define cudaMemset peso_emu_cudaMemset
#define cudaMemsetAsync peso_emu_cudaMemsetAsync
#define cudaMemcpyToSymbol peso_emu_cudaMemcpyToSymbol
#define cudaMemcpyFromSymbol peso_emu_cudaMemcpyFromSymbol
#define cudaMemGetInfo peso_emu_cudaMemGetInfo
#define cudaPointerGetAttributes peso_emu_cudaPointerGetAttributes

// Devices and errors.
#define cudaGetDeviceCount peso_emu_cudaGetDeviceCount
#define cudaGetDevice peso_emu_cudaGetDevice
#define cudaSetDevice peso_emu_cudaSetDevice
#define cudaGetDeviceProperties peso_emu_cudaGetDeviceProperties
#define cudaDeviceGetAttribute peso_emu_cudaDeviceGetAttribute
#define cudaDeviceSynchronize peso_emu_cudaDeviceSynchronize
#define cudaDeviceReset peso_emu_cudaDeviceReset
#define cudaDriverGetVersion peso_emu_cudaDriverGetVersion
#define cudaRuntimeGetVersion peso_emu_cudaRuntimeGetVersion
#define cudaGetLastError peso_emu_cudaGetLastError
#define cudaPeekAtLastError peso_emu_cudaPeekAtLastError
#define cudaGetErrorString peso_emu_cudaGetErrorString
#define cudaGetErrorName peso_emu_cudaGetErrorName

// Streams and events (queued per stream in the asynchronous mode, async_streams.h).
#define cudaStreamCreate peso_emu_cudaStreamCreate
#define cudaStreamCreateWithFlags peso_emu_cudaStreamCreateWithFlags
#define cudaStreamDestroy peso_emu_cudaStreamDestroy
#define cudaStreamSynchronize peso_emu_cudaStreamSynchronize
#define cudaStreamQuery peso_emu_cudaStreamQuery
#define cudaStreamWaitEvent peso_emu_cudaStreamWaitEvent
#define cudaEventCreate peso_emu_cudaEventCreate
#define cudaEventCreateWithFlags peso_emu_cudaEventCreateWithFlags
#define cudaEventDestroy peso_emu_cudaEventDestroy
#define cudaEventRecord peso_emu_cudaEventRecord
#define cudaEventSynchronize peso_emu_cudaEventSynchronize
#define cudaEventQuery peso_emu_cudaEventQuery
#define cudaEventElapsedTime peso_emu_cudaEventElapsedTime

// Kernels.
#define cudaFuncSetAttribute peso_emu_cudaFuncSetAttribute
#define cudaFuncGetName peso_emu_cudaFuncGetName
#define cudaOccupancyMaxActiveBlocksPerMultiprocessor peso_emu_cudaOccupancyMaxActiveBlocksPerMultiprocessor
