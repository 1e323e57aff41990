#pragma once
// Which backend runs the ops of each device. The CPU device has two
// implementations: "cpu" (fast, the default) and "reference" (plain loops, the
// oracle). PESO_BACKEND=reference|cpu picks one at start-up; set_cpu_backend()
// switches at run time.
#include <string>
#include <string_view>
#include <vector>

#include "backends/backend.h"

namespace peso {

/// The backend that runs the ops of `device`; DeviceError when none is built for it.
Backend& backend_for(Device device);
/// Makes `name` the backend of the CPU device; throws ValueError for unknown names.
void set_cpu_backend(std::string_view name);
/// The name of the CPU device's backend now ("cpu" or "reference").
std::string_view cpu_backend_name();
/// The names of every registered backend (the CPU ones and any device backend).
std::vector<std::string> available_backends();
/// A registered backend by name; ValueError for unknown names.
Backend& backend_by_name(std::string_view name);
/// True when peso was built with nvcc's CUDA backend or a CUDA backend (such as
/// the emulated one of backends/cuda) registered itself.
bool cuda_backend_compiled();

/// Backends of non-CPU devices register a function that returns the backend of
/// device index i (throwing DeviceError when there is no such device). Where
/// several register for one device type, the highest priority wins: the CUDA
/// emulator's backend, which a program links only to run under emulation,
/// registers above nvcc's. Safe to call from static initializers.
using DeviceBackendGetter = Backend& (*)(int index);
/// Registers `get` as the backend of device type `type` (see DeviceBackendGetter).
void register_device_backend(DeviceType type, std::string_view name, DeviceBackendGetter get, int priority = 0);
/// The name of the backend that runs the ops of that device type ("" when none).
std::string device_backend_name(DeviceType type);

/// RAII: runs a scope on another CPU backend (used by the conformance tests).
class CpuBackendGuard {
public:
    /// Switches the CPU device to backend `name` (ValueError when unknown) until the guard goes.
    explicit CpuBackendGuard(std::string_view name) : previous_(cpu_backend_name()) { set_cpu_backend(name); }
    ~CpuBackendGuard() { set_cpu_backend(previous_); }
    CpuBackendGuard(const CpuBackendGuard&) = delete;
    CpuBackendGuard& operator=(const CpuBackendGuard&) = delete;

private:
    std::string previous_;
};

}  // namespace peso
