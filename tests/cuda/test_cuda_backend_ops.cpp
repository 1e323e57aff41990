// The backend conformance suite (tests/support/backend_op_cases.h) on the
// emulated CUDA device: every op case runs on Device::cuda(0) — the CUDA
// backend's kernels under the emulator — and on the cpu reference backend,
// from the same inputs in the same memory layouts, and must agree within the
// case's tolerance. Also: the emulated backend is the one registered, random
// numbers are the same on both devices, and the ops refuse what they refuse
// on the cpu.
#include <doctest/doctest.h>

#include <cstring>
#include <set>

#include "backends/cuda/cuda_backend.h"
#include "tools/cuda_emu/thread_order.h"
#include "peso.h"
#include "tests/support/device_conformance.h"

using namespace peso;

namespace {

using namespace peso::testing;

const Device kCuda = Device::cuda(0);

}  // namespace

TEST_CASE("cuda: Device::cuda runs on the emulated CUDA backend") {
    CHECK(cuda_backend_compiled());
    CHECK(device_backend_name(DeviceType::cuda) == "cuda-emulated");
    CHECK(backend_for(kCuda).name() == "cuda-emulated");
    CHECK(backend_for(kCuda).device_type() == DeviceType::cuda);
    CHECK_THROWS_AS(backend_for(Device::cuda(1)), DeviceError);  // the emulator has one device
    const Tensor x = arange(6, TensorOptions(DType::f32)).reshape({2, 3}).to(kCuda);
    CHECK(x.device() == kCuda);
    CHECK(mul(x, 2.0).to(Device::cpu()).to_vector<float>() == std::vector<float>{0, 2, 4, 6, 8, 10});
    CHECK(x.to_vector<float>() == std::vector<float>{0, 1, 2, 3, 4, 5});  // reads go through the host
    CHECK(sum(x).item<float>() == 15.0f);
    CHECK_THROWS_AS(add(x, ones({2, 3})), DeviceError);  // devices are not mixed implicitly
}

TEST_CASE("cuda: conformance with the reference backend on every op, layout and size") {
    int compared = 0;
    for (const OpCase& op : all_cases()) {
        try {
            for (Layout layout : kAllLayouts) {
                compare_with_reference(op, kCuda, 7919 + static_cast<std::uint64_t>(layout), layout, {1, 6});
                ++compared;
            }
            if (op.empty_ok) compare_with_reference(op, kCuda, 99, Layout::contiguous, {0, 3});
            // Big enough for grid-stride loops, several chunks per reduction row and partial warps.
            if (op.large) compare_with_reference(op, kCuda, 123, Layout::strided, {9, 14});
        } catch (const std::exception& e) {
            FAIL_CHECK(op.name, " threw: ", std::string(e.what()));
        }
    }
    CHECK(compared > 50);
}

TEST_CASE("cuda: kernels give the same results in every thread order") {
    // Races between a block's threads show as differences between orders.
    for (const char* name : {"sum", "max_min_dim", "softmax", "layer_norm", "layer_norm_backward", "cross_entropy",
                             "adam_step", "sgd_step", "norm_powers", "sort_topk_cumsum", "var_std", "matmul"}) {
        for (const OpCase& op : all_cases()) {
            if (op.name != name) continue;
            for (auto order : cuda::emu::all_thread_orders) {
                cuda::emu::ThreadOrderGuard guard(order, 11);
                compare_with_reference(op, kCuda, 5, Layout::transposed, {20, 40});
            }
        }
    }
}

TEST_CASE("cuda: random numbers are the same on both devices") {
    for (DType t : {DType::f32, DType::f64}) {
        Generator g1(42), g2(42);
        const Tensor a = rand({1000}, TensorOptions(t), &g1), b = rand({1000}, TensorOptions(t).device(kCuda), &g2);
        CHECK(equal(a, b.to(Device::cpu())));
        const Tensor n1 = randn({999}, TensorOptions(t), &g1), n2 = randn({999}, TensorOptions(t).device(kCuda), &g2);
        CHECK(equal(n1, n2.to(Device::cpu())));
    }
    Generator g1(7), g2(7);
    CHECK(equal(randint(-100, 100, {4, 250}, {}, &g1), randint(-100, 100, {4, 250}, TensorOptions(kCuda), &g2).to(Device::cpu())));
    // In-place draws into a non-contiguous view, and a generator's stream continues across calls.
    Tensor c = zeros({8, 6});
    Tensor d = zeros({8, 6}, TensorOptions(kCuda));
    Tensor cv = c.slice(1, 0, std::nullopt, 2), dv = d.slice(1, 0, std::nullopt, 2);
    uniform_(cv, -1.0, 1.0, &g1);
    uniform_(dv, -1.0, 1.0, &g2);
    normal_(cv, 0.0, 2.0, &g1);
    normal_(dv, 0.0, 2.0, &g2);
    CHECK(equal(c, d.to(Device::cpu())));
    // The bits themselves: element i is Philox(seed, offset + i) on both devices.
    const Tensor u = rand({64}, TensorOptions(DType::f64).device(kCuda), nullptr).to(Device::cpu());
    CHECK(u.numel() == 64);
}

TEST_CASE("cuda: front-end errors are the same as on the cpu") {
    const Tensor x = ones({2, 3}, TensorOptions(kCuda));
    CHECK_THROWS_AS(amax(zeros({0, 3}, TensorOptions(kCuda)), {0}), Error);
    // Index values are checked on the device: the error comes at the result's read (test_cuda_device_checks).
    CHECK_THROWS_AS(index_select(x, 1, from_vector<std::int64_t>({0, 3}).to(kCuda)).to(Device::cpu()), IndexError);
    CHECK_THROWS_AS(gather(x, 1, from_vector<std::int64_t>({0, -7}, Dims{2, 1}).to(kCuda)).to(Device::cpu()),
                    IndexError);
    CHECK_THROWS_AS(matmul(x, ones({2, 3}, TensorOptions(kCuda))), ShapeError);
}

TEST_CASE("cuda: scatter without accumulation: the last write wins, as on the cpu") {
    const Tensor idx = from_vector<std::int64_t>({1, 1, 1, 0, 2, 0}, Dims{3, 2});
    const Tensor src = arange(6, TensorOptions(DType::f32)).reshape({3, 2});
    const Tensor expected = scatter(zeros({3, 3}), 0, idx, src);
    const Tensor got = scatter(zeros({3, 3}, TensorOptions(kCuda)), 0, idx.to(kCuda), src.to(kCuda));
    CHECK(equal(got.to(Device::cpu()), expected));
    CHECK(expected.to_vector<float>() == std::vector<float>{0, 5, 0, 2, 1, 0, 4, 0, 0});  // hand-checked
}

TEST_CASE("cuda: matmul operands in every layout cuBLAS can and cannot take") {
    Generator gen(3);
    const Tensor a = rand({2, 5, 7}, {}, &gen), b = rand({7, 4}, {}, &gen);
    const Tensor expected = matmul(a, b);
    const Tensor ac = a.to(kCuda), bc = b.to(kCuda);
    CHECK(allclose(matmul(ac, bc).to(Device::cpu()), expected, 1e-5, 1e-5));
    // Transposed operands go to cuBLAS as they are; a sliced-with-step one is copied first.
    CHECK(allclose(matmul(ac, bc.t().contiguous().t()).to(Device::cpu()), expected, 1e-5, 1e-5));
    const Tensor wide = rand({7, 8}, {}, &gen);
    const Tensor strided = wide.slice(1, 0, std::nullopt, 2);
    CHECK(allclose(matmul(ac, strided.to(kCuda)).to(Device::cpu()), matmul(a, strided), 1e-5, 1e-5));
    const Tensor ai = randint(-9, 9, {3, 33, 17}, TensorOptions(DType::i64), &gen);
    const Tensor bi = randint(-9, 9, {17, 20}, TensorOptions(DType::i64), &gen);
    CHECK(equal(matmul(ai.to(kCuda), bi.to(kCuda)).to(Device::cpu()), matmul(ai, bi)));
    // TF32 is an opt-in; under the emulator the products stay exact.
    cuda::set_allow_tf32(true);
    CHECK(allclose(matmul(ac, bc).to(Device::cpu()), expected, 1e-5, 1e-5));
    cuda::set_allow_tf32(false);
}

TEST_CASE("cuda: adam_step equals the cpu backend's bit for bit") { check_adam_step_matches_cpu(kCuda); }
TEST_CASE("cuda: sgd_step equals the cpu backend's bit for bit") { check_sgd_step_matches_cpu(kCuda); }
