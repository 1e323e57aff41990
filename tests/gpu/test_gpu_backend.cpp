// The CUDA backend on a real GPU (nvcc's build, registered as "cuda"): the
// backend conformance cases and the gradcheck cases on cuda:0 against the cpu
// reference backend, and a short GPT training run. These tests need peso
// built with nvcc (PESO_WITH_CUDA) and a GPU; anywhere else they pass after
// saying why they skipped, unless a GPU is required (PESO_REQUIRE_GPU=1, or a
// host with /dev/nvidia*: tests/support/gpu_required.h), when they fail. (tests/cuda runs the same cases on the emulator,
// everywhere.)
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "models/gpt/gpt.h"
#include "nn/optim/adam.h"
#include "peso.h"
#include "tests/support/device_conformance.h"
#include "tests/support/gradcheck_suite.h"
#include "tests/support/gpu_required.h"

using namespace peso;
using namespace peso::testing;

namespace {

const Device kGpu = Device::cuda(0);

}  // namespace

TEST_CASE("gpu: conformance with the reference backend on every op, layout and size") {
    PESO_REQUIRE_GPU();
    for (const OpCase& op : all_cases()) {
        try {
            for (Layout layout : kAllLayouts)
                for (std::uint64_t seed = 1; seed <= 3; ++seed)
                    compare_with_reference(op, kGpu, seed * 7919 + static_cast<std::uint64_t>(layout), layout, {1, 6});
            if (op.empty_ok) compare_with_reference(op, kGpu, 99, Layout::contiguous, {0, 3});
            if (op.large) compare_with_reference(op, kGpu, 123, Layout::strided, {30, 40});
        } catch (const std::exception& e) {
            FAIL_CHECK(op.name, " threw: ", std::string(e.what()));
        }
    }
}

TEST_CASE("gpu: adam_step equals the cpu backend's bit for bit") {
    PESO_REQUIRE_GPU();
    check_adam_step_matches_cpu(kGpu);
}

TEST_CASE("gpu: sgd_step equals the cpu backend's bit for bit") {
    PESO_REQUIRE_GPU();
    check_sgd_step_matches_cpu(kGpu);
}

TEST_CASE("gpu: gradcheck of every differentiable op") {
    PESO_REQUIRE_GPU();
    SuiteConfig cfg;
    cfg.device = kGpu;
    // A GPU's double transcendental functions may differ from glibc's in the last bits.
    cfg.atol = 1e-10;
    cfg.rtol = 1e-8;
    const SuiteResult r = run_gradcheck_suite(cfg);
    for (const std::string& f : r.failures) FAIL_CHECK(f);
    MESSAGE(r.summary);
    CHECK(r.complete);
}

TEST_CASE("gpu: a small GPT trains on cuda:0") {
    PESO_REQUIRE_GPU();
    models::GptConfig c;
    c.n_layer = 2;
    c.n_head = 4;
    c.n_embd = 64;
    c.block_size = 32;
    c.vocab_size = 50;
    Generator gen(1);
    models::Gpt model(c, &gen);
    model.to(kGpu);
    const Tensor data = randint(0, c.vocab_size, {4, 33}, TensorOptions(DType::i64), &gen).to(kGpu);
    const Tensor x = data.narrow(1, 0, 32), y = data.narrow(1, 1, 32);
    nn::optim::AdamW opt(model.optimizer_groups(0.1), {});
    opt.set_lr(3e-3);
    float first = 0, last = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int step = 0; step < 100; ++step) {
        const auto out = model.forward(x, y);
        opt.zero_grad();
        out.loss.backward();
        opt.step();
        last = out.loss.item<float>();
        if (step == 0) first = last;
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    MESSAGE("gpu GPT: loss ", first, " -> ", last, " in 100 steps, ", ms / 100, " ms/step");
    CHECK(last < 0.5f * first);
}
