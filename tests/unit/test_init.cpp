// nn/init: gains, fans, the distributions' bounds and spreads, determinism,
// default layer initializations (GPT-2's policy is tested in tests/models/test_gpt_init.cpp).
#include <doctest/doctest.h>

#include <cmath>

#include "nn/attention.h"
#include "nn/embedding.h"
#include "nn/init.h"
#include "nn/layer_norm.h"
#include "nn/linear.h"

using namespace peso;
using namespace peso::nn;

namespace {

double std_of(const Tensor& t) { return native::std(t.detach().to(DType::f64), {}, 0.0).item<double>(); }
double mean_of(const Tensor& t) { return native::mean(t.detach().to(DType::f64)).item<double>(); }
double max_abs(const Tensor& t) { return native::amax(native::abs(t.detach().to(DType::f64))).item<double>(); }

}  // namespace

TEST_CASE("calculate_gain as PyTorch") {
    CHECK(init::calculate_gain("linear") == 1.0);
    CHECK(init::calculate_gain("conv2d") == 1.0);
    CHECK(init::calculate_gain("sigmoid") == 1.0);
    CHECK(init::calculate_gain("tanh") == doctest::Approx(5.0 / 3.0));
    CHECK(init::calculate_gain("relu") == doctest::Approx(std::sqrt(2.0)));
    CHECK(init::calculate_gain("leaky_relu") == doctest::Approx(std::sqrt(2.0 / (1.0 + 0.01 * 0.01))));
    CHECK(init::calculate_gain("leaky_relu", 0.2) == doctest::Approx(std::sqrt(2.0 / 1.04)));
    CHECK(init::calculate_gain("leaky_relu", std::sqrt(5.0)) == doctest::Approx(std::sqrt(1.0 / 3.0)));
    CHECK(init::calculate_gain("selu") == 0.75);
    CHECK_THROWS_AS(init::calculate_gain("swish"), ValueError);
}

TEST_CASE("fan in and fan out as PyTorch, including receptive fields") {
    CHECK(init::calculate_fan_in_and_fan_out(empty({5, 3})) == std::pair<std::int64_t, std::int64_t>{3, 5});
    CHECK(init::calculate_fan_in_and_fan_out(empty({8, 4, 3, 2})) == std::pair<std::int64_t, std::int64_t>{24, 48});
    CHECK_THROWS_AS(init::calculate_fan_in_and_fan_out(empty({5})), ValueError);
    CHECK_THROWS_AS(init::xavier_uniform_(empty({5})), ValueError);
}

TEST_CASE("constant, zeros, ones, uniform and normal fill in place without recording") {
    Tensor w = empty({300, 200}).requires_grad_();
    const Tensor same = init::constant_(w, 0.5);
    CHECK(same.is_same(w));
    CHECK(native::all(native::eq(w, 0.5)).item<bool>());
    CHECK(w.is_leaf());
    CHECK(w.grad_fn() == nullptr);
    init::zeros_(w);
    CHECK(max_abs(w) == 0.0);
    init::ones_(w);
    CHECK(mean_of(w) == 1.0);
    init::uniform_(w, -0.3, 0.7);
    CHECK(native::amin(w).item<float>() >= -0.3f);
    CHECK(native::amax(w).item<float>() < 0.7f);
    CHECK(mean_of(w) == doctest::Approx(0.2).epsilon(0.05));
    init::normal_(w, 1.5, 0.25);
    CHECK(mean_of(w) == doctest::Approx(1.5).epsilon(0.01));
    CHECK(std_of(w) == doctest::Approx(0.25).epsilon(0.02));
    CHECK(w.is_leaf());
    CHECK_THROWS_AS(init::normal_(w, 0.0, -1.0), ValueError);
    Tensor ints = zeros({3}, DType::i64);
    CHECK_THROWS_AS(init::normal_(ints), DTypeError);
}

TEST_CASE("xavier and kaiming: bounds and standard deviations") {
    Tensor w = empty({400, 250});
    const double fan_sum = 650.0;
    init::xavier_uniform_(w, 2.0);
    const double a = 2.0 * std::sqrt(6.0 / fan_sum);
    CHECK(max_abs(w) <= a);
    CHECK(max_abs(w) > 0.98 * a);
    CHECK(std_of(w) == doctest::Approx(a / std::sqrt(3.0)).epsilon(0.02));
    init::xavier_normal_(w, 0.5);
    CHECK(std_of(w) == doctest::Approx(0.5 * std::sqrt(2.0 / fan_sum)).epsilon(0.02));

    init::kaiming_uniform_(w, 0.0, init::FanMode::FanIn, "relu");
    const double bound = std::sqrt(2.0) * std::sqrt(3.0 / 250.0);
    CHECK(max_abs(w) <= bound);
    CHECK(max_abs(w) > 0.98 * bound);
    init::kaiming_normal_(w, 0.0, init::FanMode::FanOut, "relu");
    CHECK(std_of(w) == doctest::Approx(std::sqrt(2.0 / 400.0)).epsilon(0.02));
    init::kaiming_normal_(w);  // leaky_relu with a = 0: gain sqrt(2), fan_in
    CHECK(std_of(w) == doctest::Approx(std::sqrt(2.0 / 250.0)).epsilon(0.02));
    Tensor none = empty({0, 3});
    CHECK_NOTHROW(init::kaiming_uniform_(none));
}

TEST_CASE("a generator makes initialization reproducible; the default generator follows manual_seed") {
    Generator g1(42), g2(42);
    Tensor a = empty({64, 32}), b = empty({64, 32});
    init::kaiming_uniform_(a, std::sqrt(5.0), init::FanMode::FanIn, "leaky_relu", &g1);
    init::kaiming_uniform_(b, std::sqrt(5.0), init::FanMode::FanIn, "leaky_relu", &g2);
    CHECK(equal(a, b));
    manual_seed(7);
    Linear l1(16, 8);
    manual_seed(7);
    Linear l2(16, 8);
    CHECK(equal(l1.weight, l2.weight));
    CHECK(equal(l1.bias, l2.bias));
    Generator g3(9), g4(9);
    CHECK(equal(Linear(16, 8, true, DType::f32, &g3).weight, Linear(16, 8, true, DType::f32, &g4).weight));
}

TEST_CASE("default initializations of the layers, as PyTorch") {
    Linear lin(400, 300);
    const double bound = 1.0 / std::sqrt(400.0);  // kaiming_uniform(a = sqrt(5))
    CHECK(max_abs(lin.weight) <= bound);
    CHECK(max_abs(lin.weight) > 0.98 * bound);
    CHECK(max_abs(lin.bias) <= bound);
    CHECK(std_of(lin.weight) == doctest::Approx(bound / std::sqrt(3.0)).epsilon(0.02));

    Embedding emb(500, 300, 3);
    CHECK(std_of(emb.weight) == doctest::Approx(1.0).epsilon(0.02));
    CHECK(max_abs(emb.weight.select(0, 3)) == 0.0);

    LayerNorm ln(7);
    CHECK(native::all(native::eq(ln.weight, 1.0)).item<bool>());
    CHECK(max_abs(ln.bias) == 0.0);

    MultiheadAttention mha(64, 4);
    const double xavier = std::sqrt(6.0 / (64.0 + 192.0));
    CHECK(mha.in_proj_weight.sizes() == Dims{192, 64});
    CHECK(max_abs(mha.in_proj_weight) <= xavier);
    CHECK(max_abs(mha.in_proj_weight) > 0.9 * xavier);
    CHECK(max_abs(mha.in_proj_bias) == 0.0);
    CHECK(max_abs(mha.out_proj->bias) == 0.0);
    CHECK(max_abs(mha.out_proj->weight) <= 1.0 / 8.0);
    CHECK(max_abs(mha.out_proj->weight) > 0.0);
}
