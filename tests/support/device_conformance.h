#pragma once
// Running the backend conformance cases (backend_op_cases.h) on a device and
// comparing with the cpu reference backend; used by the emulated CUDA
// device's tests (tests/cuda) and the real GPU's (tests/gpu).
#include <doctest/doctest.h>

#include <cmath>
#include <utility>
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

// An optimizer step's result on the cpu (x) and on another device (y): every
// operation is rounded in the same order on both, so they must be equal bit
// for bit where the CPU has FMA, as the fused loop then uses it; elsewhere the
// cpu rounds "a * b + c" twice and only closeness is expected.
inline void check_rounded_alike(const Tensor& x, const Tensor& y) {
#if defined(__FMA__)
    CHECK(equal(x, y.to(Device::cpu())));
#else
    CHECK(allclose(x, y.to(Device::cpu()), 1e-6, 1e-7));
#endif
}

// adam_step on `device` and on the cpu backend from the same tensors.
inline void check_adam_step_matches_cpu(Device device) {
    for (DType t : {DType::f32, DType::f64}) {
        Generator gen(17);
        std::vector<native::AdamStepTensors> on_cpu, on_device;
        for (int k = 0; k < 30; ++k) {  // more tasks than one CUDA launch takes
            const Dims shape{k % 7 == 0 ? 4099 : 37 * k};
            AdamScalars s;
            s.lr = 3e-3, s.beta1 = 0.9, s.beta2 = 0.95, s.eps = 1e-8, s.weight_decay = k % 3 == 0 ? 0.0 : 0.1;
            s.step_size = 3e-3 / (1 - std::pow(0.9, 7)), s.bias_correction2_sqrt = std::sqrt(1 - std::pow(0.95, 7));
            s.decoupled = k % 3 == 1;
            s.maximize = k % 5 == 4;
            native::AdamStepTensors a{randn(shape, TensorOptions(t), &gen), randn(shape, TensorOptions(t), &gen),
                                      mul(randn(shape, TensorOptions(t), &gen), 0.1),
                                      mul(rand(shape, TensorOptions(t), &gen), 0.01), s};
            on_device.push_back(
                {a.param.to(device), a.grad.to(device), a.exp_avg.to(device), a.exp_avg_sq.to(device), s});
            on_cpu.push_back(a);
        }
        for (int step = 0; step < 3; ++step) {
            native::adam_step(on_cpu);
            native::adam_step(on_device);
        }
        for (std::size_t k = 0; k < on_cpu.size(); ++k) {
            CAPTURE(k);
            CAPTURE(t);
            const auto& a = on_cpu[k];
            const auto& b = on_device[k];
            for (auto [x, y] : {std::pair{a.param, b.param}, {a.exp_avg, b.exp_avg}, {a.exp_avg_sq, b.exp_avg_sq}})
                check_rounded_alike(x, y);
        }
    }
}

// sgd_step likewise, through every option and the first step's new buffers.
inline void check_sgd_step_matches_cpu(Device device) {
    for (DType t : {DType::f32, DType::f64}) {
        Generator gen(23);
        std::vector<native::SgdStepTensors> on_cpu, on_device;
        for (int k = 0; k < 60; ++k) {  // more tasks than one CUDA launch takes
            const Dims shape{k % 7 == 0 ? 4099 : 37 * k};
            SgdScalars s;
            s.lr = 0.03, s.momentum = k % 4 == 0 ? 0.0 : 0.9, s.dampening = k % 4 == 2 ? 0.1 : 0.0;
            s.nesterov = k % 4 == 3, s.weight_decay = k % 3 == 0 ? 0.0 : 0.01, s.maximize = k % 5 == 4;
            const Tensor buffer = s.momentum == 0.0 ? Tensor() : randn(shape, TensorOptions(t), &gen);
            native::SgdStepTensors a{randn(shape, TensorOptions(t), &gen), randn(shape, TensorOptions(t), &gen),
                                     buffer, true, s};
            on_device.push_back({a.param.to(device), a.grad.to(device),
                                 buffer.defined() ? buffer.to(device) : Tensor(), true, s});
            on_cpu.push_back(a);
        }
        for (int step = 0; step < 3; ++step) {
            native::sgd_step(on_cpu);
            native::sgd_step(on_device);
            for (auto* tasks : {&on_cpu, &on_device})
                for (auto& task : *tasks) task.new_buffer = false;
        }
        for (std::size_t k = 0; k < on_cpu.size(); ++k) {
            CAPTURE(k);
            CAPTURE(t);
            const auto& a = on_cpu[k];
            const auto& b = on_device[k];
            std::vector<std::pair<Tensor, Tensor>> pairs{{a.param, b.param}};
            if (a.momentum_buffer.defined()) pairs.emplace_back(a.momentum_buffer, b.momentum_buffer);
            for (const auto& [x, y] : pairs) check_rounded_alike(x, y);
        }
    }
}

}  // namespace peso::testing
