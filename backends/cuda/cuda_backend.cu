// The CUDA backend object of each device, and its registration: nvcc's build
// is registered by backends/registry.cpp (PESO_WITH_CUDA); the emulated build,
// linked only into programs that run under the emulator (tests labelled
// cuda), registers itself at start-up, above nvcc's.
#include <cstdlib>
#include <mutex>
#include <string>

#include "backends/cuda/check.h"
#include "backends/cuda/cuda_backend.h"
#include "backends/registry.h"

PESO_CUDA_NAMESPACE_BEGIN

namespace {

bool caching_enabled() {
    const char* env = std::getenv("PESO_CUDA_ALLOC");
    return env == nullptr || std::string(env) != "direct";
}

}  // namespace

CudaBackend::CudaBackend(int device) : device_(device), allocator_(device, caching_enabled()), staging_(device) {}

std::string_view CudaBackend::name() const { return PESO_CUDA_EMULATED ? "cuda-emulated" : "cuda"; }

DeviceQuery query_devices() {
    DeviceQuery q;
    q.error = cudaGetDeviceCount(&q.count);
    if (q.error != cudaSuccess) {
        (void)cudaGetLastError();  // reported through the query, not to the next call
        q.count = 0;
    }
    return q;
}

std::string no_device_reason(const DeviceQuery& q) {
    if (q.error != cudaSuccess) {
        // Not "no GPU": a driver older than the runtime needs, a driver not
        // loaded, a device the driver cannot use all land here.
        return "no usable CUDA device: cudaGetDeviceCount failed with " + describe_cuda_error(q.error) +
               " (peso's CUDA backend is built with CUDA runtime " + std::to_string(CUDART_VERSION / 1000) + "." +
               std::to_string(CUDART_VERSION % 1000 / 10) + ")";
    }
    if (q.count <= 0) return "no CUDA device is available (cudaGetDeviceCount reports none)";
    return "";
}

namespace {

const DeviceQuery& devices() {
    static const DeviceQuery q = query_devices();
    return q;
}

}  // namespace

int device_count() { return devices().count; }

CudaBackend& cuda_backend(int index) {
    const int count = devices().count;
    PESO_CHECK(count > 0, DeviceError, "device cuda:{}: {}", index, no_device_reason(devices()));
    PESO_CHECK(index >= 0 && index < count, DeviceError, "device cuda:{}: out of range ({} CUDA device{} available)",
               index, count, count == 1 ? "" : "s");
    PESO_CHECK(index < 64, DeviceError, "device cuda:{}: peso supports up to 64 CUDA devices", index);
    // Never destroyed: tensors may outlive main(), and their memory returns to these allocators.
    static CudaBackend* backends[64] = {};
    static std::once_flag once[64];
    std::call_once(once[index], [&] { backends[index] = new CudaBackend(index); });
    return *backends[index];
}

Backend& device_backend(int index) { return cuda_backend(index); }

#if PESO_CUDA_EMULATED
namespace {
[[maybe_unused]] const bool registered =
    (register_device_backend(DeviceType::cuda, "cuda-emulated", &device_backend, 1), true);
}  // namespace
#endif

PESO_CUDA_NAMESPACE_END
