#pragma once
// For tests/gpu: whether cuda:0 is a real GPU, and whether its absence is a
// failure or a skip. A machine without a GPU skips the label; one that should
// have a usable GPU — PESO_REQUIRE_GPU=1, or any host with an NVIDIA device
// node such as /dev/nvidia0 (unless PESO_REQUIRE_GPU=0) — fails instead,
// naming the CUDA error, so that a broken driver cannot pass as "no GPU".
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "backends/registry.h"
#include "peso.h"

namespace peso::testing {

inline bool host_has_gpu_device_node() {
    for (int i = 0; i < 16; ++i) {
        std::error_code ec;
        if (std::filesystem::exists("/dev/nvidia" + std::to_string(i), ec)) return true;
    }
    return false;
}

inline bool gpu_required() {
    const char* env = std::getenv("PESO_REQUIRE_GPU");
    if (env != nullptr && std::string_view(env) == "1") return true;
    if (env != nullptr && std::string_view(env) == "0") return false;
    return host_has_gpu_device_node();
}

// Empty when cuda:0 is a real GPU run by nvcc's backend; otherwise why not
// (with the CUDA error, when the driver gave one).
inline std::string why_no_gpu() {
    if (!cuda_backend_compiled()) return "peso was built without nvcc's CUDA backend";
    try {
        const Backend& b = backend_for(Device::cuda(0));
        if (b.name() != "cuda") return "cuda:0 runs on the '" + std::string(b.name()) + "' backend, not a GPU";
    } catch (const DeviceError& e) {
        return e.what();
    }
    return "";
}

}  // namespace peso::testing

// Returns from the test when there is no GPU: a failure when one is required, a skip otherwise.
#define PESO_REQUIRE_GPU()                                                                                \
    if (const std::string peso_why_ = ::peso::testing::why_no_gpu(); !peso_why_.empty()) {               \
        if (::peso::testing::gpu_required()) {                                                            \
            FAIL_CHECK("no usable GPU, and one is required (PESO_REQUIRE_GPU=1 or a /dev/nvidia* node): ", \
                       peso_why_);                                                                        \
        } else {                                                                                          \
            MESSAGE("skipped, no GPU: ", peso_why_);                                                      \
        }                                                                                                 \
        return;                                                                                           \
    }
