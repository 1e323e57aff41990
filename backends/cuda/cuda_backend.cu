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

CudaBackend::CudaBackend(int device) : device_(device), allocator_(device, caching_enabled()) {}

std::string_view CudaBackend::name() const { return PESO_CUDA_EMULATED ? "cuda-emulated" : "cuda"; }

int device_count() {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) {
        (void)cudaGetLastError();  // no driver or no device: not an error to remember
        return 0;
    }
    return count;
}

CudaBackend& cuda_backend(int index) {
    static const int count = device_count();
    PESO_CHECK(count > 0, DeviceError,
               "device cuda:{}: no CUDA device is available (peso's CUDA backend is built, but the driver "
               "reports no GPU)",
               index);
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
