// The CUDA runtime functions peso's CUDA code uses, for the emulated device 0.
// Work is synchronous (a kernel has finished when launch() returns) unless the
// asynchronous stream mode is on (async_streams.h): then copies, memsets and
// launches are queued on their stream, and the calls at which CUDA makes the
// host wait run what the host waits for. Memory calls are checked against the
// emulated allocations, and fail as the CUDA runtime does (an error code, set
// as the last error) when a range falls outside them.
#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "tools/cuda_emu/async_streams.h"
#include "tools/cuda_emu/device_limits.h"
#include "tools/cuda_emu/device_memory.h"
#include "tools/cuda_emu/fault_injection.h"
#include "tools/cuda_emu/host_syncs.h"
#include "tools/cuda_emu/runtime_state.h"
#include "tools/cuda_emu/stream_scheduler.h"

namespace peso::cuda::emu {
namespace {

thread_local cudaError_t last_error = cudaSuccess;

struct Registry {
    std::mutex mutex;
    std::set<const void*> streams;
    std::map<const void*, std::size_t> dynamic_shared_limits;
};

Registry& registry() {
    static Registry instance;
    return instance;
}

// Stream and event handles are pointers to these. Stream ids are never
// reused, so that work queued on a destroyed stream stays its own.
std::atomic<std::uint64_t> next_stream_id{1};

struct EmulatedStream {
    unsigned flags = 0;
    std::uint64_t id = next_stream_id++;
};
using Clock = std::chrono::steady_clock;
struct EmulatedEvent {
    bool recorded = false;
    StreamMark mark;  // done once the work queued before the record has run
    std::shared_ptr<Clock::time_point> time = std::make_shared<Clock::time_point>();
};

// Pinned (page-locked) host memory, or registered: a copy reads or writes it
// when the copy runs. Pageable memory (any other host memory) is staged.
bool is_pinned(const void* p) {
    const auto allocation = find_allocation(p);
    return allocation && allocation->kind != MemoryKind::device;
}

MemoryRange range_of_copy(const void* p, std::size_t n) {
    return find_allocation(p) ? MemoryRange{reinterpret_cast<std::uintptr_t>(p), n} : MemoryRange{};
}

// Whether `p`..`p+n` lies in device memory (wholly inside one device
// allocation) or in host memory (starting outside every device allocation).
bool in_space(const void* p, std::size_t n, bool device) {
    const auto allocation = find_allocation(p);
    const bool starts_on_device = allocation && allocation->kind == MemoryKind::device && allocation->contains(p, 1);
    return device ? starts_on_device && allocation->contains(p, n) : !starts_on_device;
}

cudaError_t check_copy(void* dst, const void* src, std::size_t count, cudaMemcpyKind kind) {
    if (count == 0) return cudaSuccess;
    if (dst == nullptr || src == nullptr) return cudaErrorInvalidValue;
    switch (kind) {
        case cudaMemcpyHostToHost: return in_space(dst, count, false) && in_space(src, count, false) ? cudaSuccess : cudaErrorInvalidValue;
        case cudaMemcpyHostToDevice: return in_space(dst, count, true) && in_space(src, count, false) ? cudaSuccess : cudaErrorInvalidValue;
        case cudaMemcpyDeviceToHost: return in_space(dst, count, false) && in_space(src, count, true) ? cudaSuccess : cudaErrorInvalidValue;
        case cudaMemcpyDeviceToDevice: return in_space(dst, count, true) && in_space(src, count, true) ? cudaSuccess : cudaErrorInvalidValue;
        case cudaMemcpyDefault: {
            // Unified addressing: a side is device memory when it starts in a device allocation.
            const auto side_ok = [](const void* p, std::size_t n) {
                return !in_space(p, 1, true) || in_space(p, n, true);
            };
            return side_ok(dst, count) && side_ok(src, count) ? cudaSuccess : cudaErrorInvalidValue;
        }
    }
    return cudaErrorInvalidMemcpyDirection;
}

cudaError_t check_device(int device) { return device == 0 ? cudaSuccess : cudaErrorInvalidDevice; }

}  // namespace

cudaError_t record_error(cudaError_t error) {
    if (error != cudaSuccess) last_error = error;
    return error;
}

StreamKey stream_key(cudaStream_t stream) {
    if (stream == nullptr || stream == cudaStreamLegacy) return legacy_stream;
    if (stream == cudaStreamPerThread) {
        thread_local const std::uint64_t id = next_stream_id++;
        return {id, true};
    }
    const auto* s = reinterpret_cast<const EmulatedStream*>(stream);
    return {s->id, (s->flags & cudaStreamNonBlocking) == 0};
}

bool is_valid_stream(cudaStream_t stream) {
    if (stream == nullptr || stream == cudaStreamLegacy || stream == cudaStreamPerThread) return true;
    Registry& r = registry();
    const std::lock_guard lock(r.mutex);
    return r.streams.contains(stream);
}

std::size_t max_dynamic_shared_bytes(const void* kernel) {
    Registry& r = registry();
    const std::lock_guard lock(r.mutex);
    const auto it = r.dynamic_shared_limits.find(kernel);
    return it == r.dynamic_shared_limits.end() ? default_shared_bytes_per_block : it->second;
}

}  // namespace peso::cuda::emu

using peso::cuda::emu::record_error;

// A device in a sticky error state (fault_injection.h) fails every call that
// uses it with that error, as a GPU whose kernel faulted does.
#define PESO_EMU_RETURN_IF_FAULTED()                                                              \
    do {                                                                                          \
        if (const cudaError_t sticky_ = peso::cuda::emu::device_state(); sticky_ != cudaSuccess) \
            return record_error(sticky_);                                                         \
    } while (0)

// With runtime_names.h in force, each definition below is a peso_emu_ function
// declared extern "C" by the toolkit's header.

// ---- memory -------------------------------------------------------------------------------

cudaError_t cudaMalloc(void** devPtr, size_t size) {
    PESO_EMU_RETURN_IF_FAULTED();
    if (devPtr == nullptr) return record_error(cudaErrorInvalidValue);
    *devPtr = nullptr;
    if (const cudaError_t injected = peso::cuda::emu::take_malloc_failure(); injected != cudaSuccess) {
        return record_error(injected);
    }
    if (size == 0) return cudaSuccess;
    if (size > peso::cuda::emu::device_spec().global_memory_bytes - peso::cuda::emu::bytes_allocated_on_device()) {
        return record_error(cudaErrorMemoryAllocation);
    }
    *devPtr = peso::cuda::emu::allocate(size, peso::cuda::emu::MemoryKind::device);
    return *devPtr != nullptr ? cudaSuccess : record_error(cudaErrorMemoryAllocation);
}

// cudaFree waits for the device (queued work may still use the memory). Work
// that failed meanwhile is reported at the next synchronisation instead, since
// cudaFree is called from destructors.
cudaError_t cudaFree(void* devPtr) {
    if (devPtr == nullptr) return cudaSuccess;
    peso::cuda::emu::run_all();
    PESO_EMU_RETURN_IF_FAULTED();
    peso::cuda::emu::count_host_sync(peso::cuda::emu::SyncKind::free);
    return peso::cuda::emu::release(devPtr, peso::cuda::emu::MemoryKind::device) ? cudaSuccess
                                                                                 : record_error(cudaErrorInvalidValue);
}

cudaError_t cudaMallocAsync(void** devPtr, size_t size, cudaStream_t stream) {
    if (!peso::cuda::emu::is_valid_stream(stream)) return record_error(cudaErrorInvalidResourceHandle);
    return cudaMalloc(devPtr, size);
}

// Stream-ordered: the memory goes once the stream's earlier work has run.
cudaError_t cudaFreeAsync(void* devPtr, cudaStream_t stream) {
    namespace emu = peso::cuda::emu;
    if (!emu::is_valid_stream(stream)) return record_error(cudaErrorInvalidResourceHandle);
    PESO_EMU_RETURN_IF_FAULTED();
    if (devPtr == nullptr) return cudaSuccess;
    const auto allocation = emu::find_allocation(devPtr);
    if (!allocation || allocation->kind != emu::MemoryKind::device ||
        allocation->begin != reinterpret_cast<std::uintptr_t>(devPtr))
        return record_error(cudaErrorInvalidValue);
    emu::WorkItem work;
    work.run = [devPtr] { (void)emu::release(devPtr, emu::MemoryKind::device); };
    work.describe = [] { return std::string("cudaFreeAsync"); };
    emu::submit(emu::stream_key(stream), std::move(work));
    return cudaSuccess;
}

cudaError_t cudaMallocHost(void** ptr, size_t size) {
    PESO_EMU_RETURN_IF_FAULTED();
    if (ptr == nullptr) return record_error(cudaErrorInvalidValue);
    *ptr = peso::cuda::emu::allocate(size, peso::cuda::emu::MemoryKind::pinned_host);
    return *ptr != nullptr ? cudaSuccess : record_error(cudaErrorMemoryAllocation);
}

cudaError_t cudaHostAlloc(void** pHost, size_t size, unsigned int /*flags*/) { return cudaMallocHost(pHost, size); }

cudaError_t cudaFreeHost(void* ptr) {
    if (ptr == nullptr) return cudaSuccess;
    peso::cuda::emu::run_all();  // as cudaFree, it waits for the device
    PESO_EMU_RETURN_IF_FAULTED();
    return peso::cuda::emu::release(ptr, peso::cuda::emu::MemoryKind::pinned_host) ? cudaSuccess
                                                                                   : record_error(cudaErrorInvalidValue);
}

cudaError_t cudaHostRegister(void* ptr, size_t size, unsigned int /*flags*/) {
    PESO_EMU_RETURN_IF_FAULTED();
    if (ptr == nullptr || size == 0) return record_error(cudaErrorInvalidValue);
    if (peso::cuda::emu::find_allocation(ptr)) return record_error(cudaErrorHostMemoryAlreadyRegistered);
    peso::cuda::emu::register_host_range(ptr, size);
    return cudaSuccess;
}

cudaError_t cudaHostUnregister(void* ptr) {
    peso::cuda::emu::run_all();
    PESO_EMU_RETURN_IF_FAULTED();
    return peso::cuda::emu::unregister_host_range(ptr) ? cudaSuccess
                                                       : record_error(cudaErrorHostMemoryNotRegistered);
}

namespace peso::cuda::emu {
namespace {

// A copy on `stream`; `blocking` for cudaMemcpy. What CUDA guarantees, and so
// what the asynchronous mode does (CUDA's "API synchronization behavior"):
//  - from pageable host memory to the device, the source is staged before the
//    call returns (cudaMemcpy first waits for the stream); the device side is
//    written when the copy runs;
//  - to pageable host memory, and host to host, the call returns once the copy
//    is done;
//  - cudaMemcpy between host and device waits for the copy; device to device
//    it does not;
//  - cudaMemcpyAsync with pinned host memory or device to device is queued:
//    it reads its source and writes its destination when it runs.
cudaError_t copy_memory(void* dst, const void* src, size_t count, cudaMemcpyKind kind, cudaStream_t stream,
                        bool blocking) {
    PESO_EMU_RETURN_IF_FAULTED();
    if (const cudaError_t error = check_copy(dst, src, count, kind); error != cudaSuccess) return record_error(error);
    if (count == 0) return cudaSuccess;
    if (!async_mode()) {
        std::memmove(dst, src, count);
        return cudaSuccess;
    }
    const StreamKey key = stream_key(stream);
    const bool dst_device = in_space(dst, 1, true), src_device = in_space(src, 1, true);
    const bool src_pageable = !src_device && !is_pinned(src), dst_pageable = !dst_device && !is_pinned(dst);
    WorkItem work;
    work.describe = [count, blocking] {
        return std::to_string(count) + "-byte " + (blocking ? "cudaMemcpy" : "cudaMemcpyAsync");
    };
    if (!dst_device && !src_device) {
        run_until_stream_done(key);
        std::memmove(dst, src, count);
    } else if (src_pageable) {
        if (blocking) run_until_stream_done(key);
        auto staged = std::make_shared<std::vector<unsigned char>>(static_cast<const unsigned char*>(src),
                                                                   static_cast<const unsigned char*>(src) + count);
        work.run = [dst, staged] {
            if (device_state() == cudaSuccess) std::memcpy(dst, staged->data(), staged->size());
        };
        work.ranges = {range_of_copy(dst, count)};
        submit(key, std::move(work));
    } else {
        work.run = [dst, src, count] {
            if (device_state() == cudaSuccess) std::memmove(dst, src, count);
        };
        work.ranges = {range_of_copy(dst, count), range_of_copy(src, count)};
        const StreamMark mark = submit(key, std::move(work));
        if (dst_pageable || (blocking && !(dst_device && src_device))) run_until(mark);
    }
    rethrow_work_error();
    return record_error(device_state());
}

cudaError_t set_memory(void* devPtr, int value, size_t count, cudaStream_t stream) {
    PESO_EMU_RETURN_IF_FAULTED();
    if (count == 0) return cudaSuccess;
    const auto allocation = find_allocation(devPtr);
    if (!allocation || allocation->kind != MemoryKind::device || !allocation->contains(devPtr, count)) {
        return record_error(cudaErrorInvalidValue);
    }
    WorkItem work;
    // A faulted device runs no more work.
    work.run = [devPtr, value, count] {
        if (device_state() == cudaSuccess) std::memset(devPtr, value, count);
    };
    work.describe = [count] { return std::to_string(count) + "-byte cudaMemset"; };
    work.ranges = {range_of_copy(devPtr, count)};
    submit(stream_key(stream), std::move(work));
    return cudaSuccess;
}

// What the host waits for has run: report a kernel that failed (an emulator
// check) or faulted (a sticky error).
cudaError_t after_wait() {
    rethrow_work_error();
    return record_error(device_state());
}

}  // namespace
}  // namespace peso::cuda::emu

cudaError_t cudaMemcpy(void* dst, const void* src, size_t count, cudaMemcpyKind kind) {
    namespace emu = peso::cuda::emu;
    const cudaError_t error = emu::copy_memory(dst, src, count, kind, nullptr, true);
    // Device to host: the host waits for the device's queued work and the copy.
    if (error == cudaSuccess && count > 0 && emu::in_space(src, count, true) && !emu::in_space(dst, 1, true)) {
        emu::count_host_sync(emu::SyncKind::copy);
    }
    return error;
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t count, cudaMemcpyKind kind, cudaStream_t stream) {
    if (!peso::cuda::emu::is_valid_stream(stream)) return record_error(cudaErrorInvalidResourceHandle);
    return peso::cuda::emu::copy_memory(dst, src, count, kind, stream, false);
}

// Asynchronous with respect to the host, on the legacy default stream.
cudaError_t cudaMemset(void* devPtr, int value, size_t count) {
    return peso::cuda::emu::set_memory(devPtr, value, count, nullptr);
}

cudaError_t cudaMemsetAsync(void* devPtr, int value, size_t count, cudaStream_t stream) {
    if (!peso::cuda::emu::is_valid_stream(stream)) return record_error(cudaErrorInvalidResourceHandle);
    return peso::cuda::emu::set_memory(devPtr, value, count, stream);
}

// A __constant__ or __device__ variable is an ordinary global under the
// emulator; the copy waits for the whole device, which is stricter than CUDA.
cudaError_t cudaMemcpyToSymbol(const void* symbol, const void* src, size_t count, size_t offset,
                               cudaMemcpyKind /*kind*/) {
    peso::cuda::emu::run_all();
    PESO_EMU_RETURN_IF_FAULTED();
    if (symbol == nullptr || (src == nullptr && count > 0)) return record_error(cudaErrorInvalidSymbol);
    std::memcpy(static_cast<char*>(const_cast<void*>(symbol)) + offset, src, count);
    return cudaSuccess;
}

cudaError_t cudaMemcpyFromSymbol(void* dst, const void* symbol, size_t count, size_t offset, cudaMemcpyKind /*kind*/) {
    peso::cuda::emu::run_all();
    PESO_EMU_RETURN_IF_FAULTED();
    if (symbol == nullptr || (dst == nullptr && count > 0)) return record_error(cudaErrorInvalidSymbol);
    std::memcpy(dst, static_cast<const char*>(symbol) + offset, count);
    return cudaSuccess;
}

cudaError_t cudaMemGetInfo(size_t* free, size_t* total) {
    PESO_EMU_RETURN_IF_FAULTED();
    if (free == nullptr || total == nullptr) return record_error(cudaErrorInvalidValue);
    *total = peso::cuda::emu::device_spec().global_memory_bytes;
    *free = *total - peso::cuda::emu::bytes_allocated_on_device();
    return cudaSuccess;
}

cudaError_t cudaPointerGetAttributes(cudaPointerAttributes* attributes, const void* ptr) {
    if (attributes == nullptr) return record_error(cudaErrorInvalidValue);
    *attributes = cudaPointerAttributes{};
    const auto allocation = peso::cuda::emu::find_allocation(ptr);
    if (!allocation) {
        attributes->type = cudaMemoryTypeUnregistered;
        attributes->device = -1;
        return cudaSuccess;
    }
    attributes->device = 0;
    attributes->type =
        allocation->kind == peso::cuda::emu::MemoryKind::device ? cudaMemoryTypeDevice : cudaMemoryTypeHost;
    attributes->devicePointer = const_cast<void*>(ptr);
    attributes->hostPointer = allocation->kind == peso::cuda::emu::MemoryKind::device ? nullptr : const_cast<void*>(ptr);
    return cudaSuccess;
}

// ---- devices and errors ----------------------------------------------------------------------

cudaError_t cudaGetDeviceCount(int* count) {
    if (count == nullptr) return record_error(cudaErrorInvalidValue);
    if (const cudaError_t injected = peso::cuda::emu::device_count_failure(); injected != cudaSuccess) {
        *count = 0;
        return record_error(injected);
    }
    *count = 1;
    return cudaSuccess;
}

cudaError_t cudaGetDevice(int* device) {
    if (device == nullptr) return record_error(cudaErrorInvalidValue);
    *device = 0;
    return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) { return record_error(peso::cuda::emu::check_device(device)); }

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
    namespace emu = peso::cuda::emu;
    if (prop == nullptr) return record_error(cudaErrorInvalidValue);
    if (const cudaError_t error = emu::check_device(device); error != cudaSuccess) return record_error(error);
    *prop = cudaDeviceProp{};
    std::snprintf(prop->name, sizeof(prop->name), "peso CUDA emulator (%.*s)",
                  static_cast<int>(emu::device_spec().name.size()), emu::device_spec().name.data());
    prop->totalGlobalMem = emu::device_spec().global_memory_bytes;
    prop->sharedMemPerBlock = emu::default_shared_bytes_per_block;
    prop->sharedMemPerBlockOptin = emu::device_spec().optin_shared_bytes_per_block;
    prop->sharedMemPerMultiprocessor = emu::device_spec().shared_bytes_per_multiprocessor;
    prop->regsPerBlock = 65536;
    prop->regsPerMultiprocessor = 65536;
    prop->warpSize = 32;
    prop->maxThreadsPerBlock = emu::max_threads_per_block;
    for (int i = 0; i < 3; ++i) {
        prop->maxThreadsDim[i] = static_cast<int>(emu::max_block_dim[i]);
        prop->maxGridSize[i] = static_cast<int>(emu::max_grid_dim[i]);
    }
    prop->totalConstMem = 64 * 1024;
    prop->major = emu::device_spec().major;
    prop->minor = emu::device_spec().minor;
    prop->multiProcessorCount = emu::device_spec().multiprocessors;
    prop->maxThreadsPerMultiProcessor = emu::max_threads_per_multiprocessor;
    prop->maxBlocksPerMultiProcessor = 32;
    prop->l2CacheSize = emu::device_spec().l2_cache_bytes;
    prop->memoryBusWidth = 5120;
    prop->concurrentKernels = 1;
    prop->unifiedAddressing = 1;
    prop->canMapHostMemory = 1;
    prop->managedMemory = 0;
    prop->asyncEngineCount = 1;
    prop->streamPrioritiesSupported = 0;
    prop->cooperativeLaunch = 0;
    return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device) {
    namespace emu = peso::cuda::emu;
    if (value == nullptr) return record_error(cudaErrorInvalidValue);
    if (const cudaError_t error = emu::check_device(device); error != cudaSuccess) return record_error(error);
    switch (attr) {
        case cudaDevAttrMaxThreadsPerBlock: *value = emu::max_threads_per_block; break;
        case cudaDevAttrMaxBlockDimX: *value = static_cast<int>(emu::max_block_dim[0]); break;
        case cudaDevAttrMaxBlockDimY: *value = static_cast<int>(emu::max_block_dim[1]); break;
        case cudaDevAttrMaxBlockDimZ: *value = static_cast<int>(emu::max_block_dim[2]); break;
        case cudaDevAttrMaxGridDimX: *value = static_cast<int>(emu::max_grid_dim[0]); break;
        case cudaDevAttrMaxGridDimY: *value = static_cast<int>(emu::max_grid_dim[1]); break;
        case cudaDevAttrMaxGridDimZ: *value = static_cast<int>(emu::max_grid_dim[2]); break;
        case cudaDevAttrMaxSharedMemoryPerBlock: *value = static_cast<int>(emu::default_shared_bytes_per_block); break;
        case cudaDevAttrMaxSharedMemoryPerBlockOptin: *value = static_cast<int>(emu::device_spec().optin_shared_bytes_per_block); break;
        case cudaDevAttrWarpSize: *value = 32; break;
        case cudaDevAttrMultiProcessorCount: *value = emu::device_spec().multiprocessors; break;
        case cudaDevAttrMaxThreadsPerMultiProcessor: *value = emu::max_threads_per_multiprocessor; break;
        case cudaDevAttrComputeCapabilityMajor: *value = emu::device_spec().major; break;
        case cudaDevAttrComputeCapabilityMinor: *value = emu::device_spec().minor; break;
        case cudaDevAttrUnifiedAddressing: *value = 1; break;
        default: return record_error(cudaErrorInvalidValue);
    }
    return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize() {
    PESO_EMU_RETURN_IF_FAULTED();
    peso::cuda::emu::count_host_sync(peso::cuda::emu::SyncKind::device);
    peso::cuda::emu::run_all();
    return peso::cuda::emu::after_wait();
}
cudaError_t cudaDeviceReset() { return cudaSuccess; }

cudaError_t cudaDriverGetVersion(int* driverVersion) {
    if (driverVersion == nullptr) return record_error(cudaErrorInvalidValue);
    *driverVersion = CUDART_VERSION;
    return cudaSuccess;
}

cudaError_t cudaRuntimeGetVersion(int* runtimeVersion) {
    if (runtimeVersion == nullptr) return record_error(cudaErrorInvalidValue);
    *runtimeVersion = CUDART_VERSION;
    return cudaSuccess;
}

// A sticky error is returned every time (the last error is cleared all the same).
cudaError_t cudaGetLastError() {
    const cudaError_t error = peso::cuda::emu::last_error;
    peso::cuda::emu::last_error = cudaSuccess;
    const cudaError_t sticky = peso::cuda::emu::sticky_error();
    return sticky != cudaSuccess ? sticky : error;
}

cudaError_t cudaPeekAtLastError() {
    const cudaError_t sticky = peso::cuda::emu::sticky_error();
    return sticky != cudaSuccess ? sticky : peso::cuda::emu::last_error;
}

const char* cudaGetErrorName(cudaError_t error) {
    switch (error) {
        case cudaSuccess: return "cudaSuccess";
        case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
        case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
        case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
        case cudaErrorInvalidSymbol: return "cudaErrorInvalidSymbol";
        case cudaErrorInvalidMemcpyDirection: return "cudaErrorInvalidMemcpyDirection";
        case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
        case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
        case cudaErrorNotReady: return "cudaErrorNotReady";
        case cudaErrorHostMemoryAlreadyRegistered: return "cudaErrorHostMemoryAlreadyRegistered";
        case cudaErrorHostMemoryNotRegistered: return "cudaErrorHostMemoryNotRegistered";
        case cudaErrorInvalidDeviceFunction: return "cudaErrorInvalidDeviceFunction";
        case cudaErrorInsufficientDriver: return "cudaErrorInsufficientDriver";
        case cudaErrorNoDevice: return "cudaErrorNoDevice";
        case cudaErrorIllegalAddress: return "cudaErrorIllegalAddress";
        case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
        case cudaErrorAssert: return "cudaErrorAssert";
        default: return "cudaErrorUnknown";
    }
}

const char* cudaGetErrorString(cudaError_t error) {
    switch (error) {
        case cudaSuccess: return "no error";
        case cudaErrorInvalidValue: return "invalid argument";
        case cudaErrorMemoryAllocation: return "out of memory";
        case cudaErrorInvalidConfiguration: return "invalid configuration argument";
        case cudaErrorInvalidSymbol: return "invalid device symbol";
        case cudaErrorInvalidMemcpyDirection: return "invalid copy direction for memcpy";
        case cudaErrorInvalidDevice: return "invalid device ordinal";
        case cudaErrorInvalidResourceHandle: return "invalid resource handle";
        case cudaErrorNotReady: return "device not ready";
        case cudaErrorHostMemoryAlreadyRegistered: return "part or all of the requested memory range is already mapped";
        case cudaErrorHostMemoryNotRegistered: return "pointer does not correspond to a registered memory region";
        case cudaErrorInvalidDeviceFunction: return "invalid device function";
        case cudaErrorInsufficientDriver: return "CUDA driver version is insufficient for CUDA runtime version";
        case cudaErrorNoDevice: return "no CUDA-capable device is detected";
        case cudaErrorIllegalAddress: return "an illegal memory access was encountered";
        case cudaErrorLaunchFailure: return "unspecified launch failure";
        case cudaErrorAssert: return "device-side assert triggered";
        default: return "unknown error";
    }
}

// ---- streams and events --------------------------------------------------------------------

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* pStream, unsigned int flags) {
    PESO_EMU_RETURN_IF_FAULTED();
    if (pStream == nullptr) return record_error(cudaErrorInvalidValue);
    auto* stream = new peso::cuda::emu::EmulatedStream{flags};
    if ((flags & ~cudaStreamNonBlocking) != 0) {
        delete stream;
        return record_error(cudaErrorInvalidValue);
    }
    *pStream = reinterpret_cast<cudaStream_t>(stream);
    peso::cuda::emu::Registry& r = peso::cuda::emu::registry();
    const std::lock_guard lock(r.mutex);
    r.streams.insert(*pStream);
    return cudaSuccess;
}

cudaError_t cudaStreamCreate(cudaStream_t* pStream) { return cudaStreamCreateWithFlags(pStream, cudaStreamDefault); }

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
    PESO_EMU_RETURN_IF_FAULTED();
    peso::cuda::emu::Registry& r = peso::cuda::emu::registry();
    const std::lock_guard lock(r.mutex);
    if (r.streams.erase(stream) == 0) return record_error(cudaErrorInvalidResourceHandle);
    // Work still queued on it runs all the same, as CUDA's does.
    peso::cuda::emu::forget_stream_when_done(peso::cuda::emu::stream_key(stream));
    delete reinterpret_cast<peso::cuda::emu::EmulatedStream*>(stream);
    return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
    namespace emu = peso::cuda::emu;
    PESO_EMU_RETURN_IF_FAULTED();
    emu::count_host_sync(emu::SyncKind::stream);
    if (!emu::is_valid_stream(stream)) return record_error(cudaErrorInvalidResourceHandle);
    emu::run_until_stream_done(emu::stream_key(stream));
    return emu::after_wait();
}

namespace peso::cuda::emu {
namespace {

// cudaStreamQuery and cudaEventQuery: no wait, unless the host polls.
cudaError_t query(StreamMark mark) {
    if (is_done(mark)) return cudaSuccess;
    note_unfinished_query(mark);
    if (const cudaError_t e = after_wait(); e != cudaSuccess) return e;
    return is_done(mark) ? cudaSuccess : cudaErrorNotReady;
}

}  // namespace
}  // namespace peso::cuda::emu

cudaError_t cudaStreamQuery(cudaStream_t stream) {
    namespace emu = peso::cuda::emu;
    PESO_EMU_RETURN_IF_FAULTED();
    if (!emu::is_valid_stream(stream)) return record_error(cudaErrorInvalidResourceHandle);
    return emu::query(emu::stream_end(emu::stream_key(stream)));
}

// Work queued on `stream` from now on waits for the work `event` marks.
cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned int /*flags*/) {
    namespace emu = peso::cuda::emu;
    PESO_EMU_RETURN_IF_FAULTED();
    if (event == nullptr || !emu::is_valid_stream(stream)) return record_error(cudaErrorInvalidResourceHandle);
    const auto* e = reinterpret_cast<const emu::EmulatedEvent*>(event);
    emu::WorkItem wait;
    wait.run = [] {};
    wait.describe = [] { return std::string("cudaStreamWaitEvent"); };
    emu::submit(emu::stream_key(stream), std::move(wait), {e->mark});
    return cudaSuccess;
}

cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned int /*flags*/) {
    PESO_EMU_RETURN_IF_FAULTED();
    if (event == nullptr) return record_error(cudaErrorInvalidValue);
    *event = reinterpret_cast<cudaEvent_t>(new peso::cuda::emu::EmulatedEvent{});
    return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t* event) { return cudaEventCreateWithFlags(event, cudaEventDefault); }

cudaError_t cudaEventDestroy(cudaEvent_t event) {
    if (event == nullptr) return record_error(cudaErrorInvalidResourceHandle);
    delete reinterpret_cast<peso::cuda::emu::EmulatedEvent*>(event);
    return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
    PESO_EMU_RETURN_IF_FAULTED();
    if (event == nullptr || !peso::cuda::emu::is_valid_stream(stream)) {
        return record_error(cudaErrorInvalidResourceHandle);
    }
    namespace emu = peso::cuda::emu;
    auto* e = reinterpret_cast<emu::EmulatedEvent*>(event);
    // The event completes, and takes its time, when the work queued before it has run.
    emu::WorkItem record;
    record.run = [time = e->time] { *time = emu::Clock::now(); };
    record.describe = [] { return std::string("cudaEventRecord"); };
    e->mark = emu::submit(emu::stream_key(stream), std::move(record));
    e->recorded = true;
    return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
    namespace emu = peso::cuda::emu;
    PESO_EMU_RETURN_IF_FAULTED();
    emu::count_host_sync(emu::SyncKind::event);
    if (event == nullptr) return record_error(cudaErrorInvalidResourceHandle);
    emu::run_until(reinterpret_cast<const emu::EmulatedEvent*>(event)->mark);
    return emu::after_wait();
}

cudaError_t cudaEventQuery(cudaEvent_t event) {
    namespace emu = peso::cuda::emu;
    PESO_EMU_RETURN_IF_FAULTED();
    if (event == nullptr) return record_error(cudaErrorInvalidResourceHandle);
    return emu::query(reinterpret_cast<const emu::EmulatedEvent*>(event)->mark);
}

cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
    if (ms == nullptr) return record_error(cudaErrorInvalidValue);
    if (start == nullptr || end == nullptr) return record_error(cudaErrorInvalidResourceHandle);
    const auto* a = reinterpret_cast<const peso::cuda::emu::EmulatedEvent*>(start);
    const auto* b = reinterpret_cast<const peso::cuda::emu::EmulatedEvent*>(end);
    if (!a->recorded || !b->recorded) return record_error(cudaErrorInvalidResourceHandle);
    if (!peso::cuda::emu::is_done(a->mark) || !peso::cuda::emu::is_done(b->mark)) return record_error(cudaErrorNotReady);
    *ms = std::chrono::duration<float, std::milli>(*b->time - *a->time).count();
    return cudaSuccess;
}

// ---- kernels ------------------------------------------------------------------------------

// The kernel's (mangled) symbol, as the CUDA runtime gives it; kernels with
// internal linkage have no exported symbol here and fail.
cudaError_t cudaFuncGetName(const char** name, const void* func) {
    if (name == nullptr) return record_error(cudaErrorInvalidValue);
    Dl_info info{};
    if (func == nullptr || ::dladdr(func, &info) == 0 || info.dli_sname == nullptr || info.dli_saddr != func) {
        return record_error(cudaErrorInvalidDeviceFunction);
    }
    *name = info.dli_sname;
    return cudaSuccess;
}

cudaError_t cudaFuncSetAttribute(const void* func, cudaFuncAttribute attr, int value) {
    PESO_EMU_RETURN_IF_FAULTED();
    if (func == nullptr) return record_error(cudaErrorInvalidDeviceFunction);
    if (attr != cudaFuncAttributeMaxDynamicSharedMemorySize) return cudaSuccess;  // hints only
    if (value < 0 || static_cast<std::size_t>(value) > peso::cuda::emu::device_spec().optin_shared_bytes_per_block) {
        return record_error(cudaErrorInvalidValue);
    }
    peso::cuda::emu::Registry& r = peso::cuda::emu::registry();
    const std::lock_guard lock(r.mutex);
    r.dynamic_shared_limits[func] = static_cast<std::size_t>(value);
    return cudaSuccess;
}

cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int* numBlocks, const void* func, int blockSize,
                                                          size_t dynamicSMemSize) {
    if (numBlocks == nullptr || func == nullptr || blockSize <= 0) return record_error(cudaErrorInvalidValue);
    const int by_threads = peso::cuda::emu::max_threads_per_multiprocessor / blockSize;
    const int by_shared = dynamicSMemSize == 0
                              ? by_threads
                              : static_cast<int>(peso::cuda::emu::device_spec().optin_shared_bytes_per_block / dynamicSMemSize);
    *numBlocks = std::min({by_threads, by_shared, 32});
    return cudaSuccess;
}
