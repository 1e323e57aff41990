#include "tools/cuda_emu/device_limits.h"

#include <cstdlib>

#include "core/error.h"

namespace peso::cuda::emu {
namespace {

constexpr std::size_t KiB = 1024;
constexpr std::size_t GiB = std::size_t{1} << 30;

// From NVIDIA's data sheets and the CUDA programming guide's table of
// compute-capability limits (A100 SXM4 80 GB, H100 SXM5 80 GB, H200 SXM 141 GB).
constexpr DeviceSpec devices[] = {
    {"emulator", 9, 0, 4, 227 * KiB, 228 * KiB, 16 * GiB, 32764, 4 * 1024 * 1024},
    {"a100", 8, 0, 108, 163 * KiB, 164 * KiB, 80 * GiB, 32764, 40 * 1024 * 1024},
    {"h100", 9, 0, 132, 227 * KiB, 228 * KiB, 80 * GiB, 32764, 50 * 1024 * 1024},
    {"h200", 9, 0, 132, 227 * KiB, 228 * KiB, 141 * GiB, 32764, 50 * 1024 * 1024},
};

const DeviceSpec& spec_from_environment() {
    const char* text = std::getenv("PESO_EMU_DEVICE");
    if (text == nullptr || *text == '\0') return devices[0];
    const DeviceSpec* spec = find_device_spec(text);
    PESO_CHECK(spec != nullptr, ValueError, "PESO_EMU_DEVICE={}: expected emulator, a100, h100 or h200", text);
    return *spec;
}

}  // namespace

const DeviceSpec* find_device_spec(std::string_view name) {
    for (const DeviceSpec& d : devices)
        if (d.name == name) return &d;
    return nullptr;
}

const DeviceSpec& device_spec() {
    static const DeviceSpec& spec = spec_from_environment();
    return spec;
}

}  // namespace peso::cuda::emu
