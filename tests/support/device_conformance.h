#pragma once
// Running the backend conformance cases (backend_op_cases.h) on a device and
// comparing with the cpu reference backend; used by the emulated CUDA
// device's tests (tests/cuda) and the real GPU's (tests/gpu).
#include <doctest/doctest.h>

#include <vector>

#include "peso.h"
#include "tests/support/backend_op_cases.h"

namespace peso::testing {

// The case's outputs, computed on `device` and brought to the cpu.
inline std::vector<Tensor> run_case(const OpCase& op, std::uint64_t seed, Layout layout, Size size, Device device) {
    Generator gen(seed);
    Ctx ctx{gen, layout, size, device};
    std::vector<Tensor> out = op.run(ctx);
    for (Tensor& t : out) {
        CHECK_MESSAGE(t.device() == device, op.name, ": an output is on ", t.device().str());
        t = t.to(Device::cpu());
    }
    return out;
}

inline void compare_with_reference(const OpCase& op, Device device, std::uint64_t seed, Layout layout, Size size) {
    const auto dev = run_case(op, seed, layout, size, device);
    std::vector<Tensor> ref;
    {
        CpuBackendGuard g("reference");
        ref = run_case(op, seed, layout, size, Device::cpu());
    }
    REQUIRE(dev.size() == ref.size());
    for (std::size_t k = 0; k < dev.size(); ++k) {
        INFO(op.name, " output ", k, " seed ", seed, " layout ", layout_name(layout), " shape ", ref[k].sizes().str());
        REQUIRE(dev[k].sizes() == ref[k].sizes());
        REQUIRE(dev[k].dtype() == ref[k].dtype());
        const bool close = allclose(dev[k], ref[k], op.rtol, op.atol, /*equal_nan=*/true);
        if (!close) {
            const Tensor diff = abs(sub(dev[k].to(DType::f64), ref[k].to(DType::f64)));
            INFO("max abs difference ", amax(diff).item<double>());
            CHECK(close);
        }
    }
}

}  // namespace peso::testing
