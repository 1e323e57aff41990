// Activation ops and modules against values PyTorch 1.13 gives.
#include <doctest/doctest.h>

#include <cmath>

#include "nn/activations.h"

using namespace peso;

TEST_CASE("leaky_relu: values, gradient at and around 0, integer inputs") {
    Tensor x = from_vector<double>({-2, 0, 3}).requires_grad_(true);
    const Tensor y = leaky_relu(x);
    CHECK(y.to_vector<double>() == std::vector<double>{-0.02, 0, 3});
    sum(y).backward();
    CHECK(x.grad().to_vector<double>() == std::vector<double>{0.01, 0.01, 1});  // slope at 0, as PyTorch
    CHECK(leaky_relu(from_vector<std::int64_t>({-3, 4}), 0.5).to_vector<float>() == std::vector<float>{-1.5f, 4});
    CHECK(std::isnan(leaky_relu(from_vector<float>({NAN})).item<float>()));
    nn::LeakyReLU m(0.2);
    CHECK(m.forward(from_vector<float>({-1, 1})).to_vector<float>() == std::vector<float>{-0.2f, 1});
    CHECK(m.extra_repr() == "negative_slope=0.2");
}

TEST_CASE("softplus: values, the threshold, beta, and its gradient") {
    Tensor x = from_vector<double>({0, 1, 30}).requires_grad_(true);
    const Tensor y = softplus(x);
    const auto v = y.to_vector<double>();
    CHECK(v[0] == doctest::Approx(std::log(2.0)).epsilon(1e-15));
    CHECK(v[1] == doctest::Approx(1.3132616875182228).epsilon(1e-15));
    CHECK(v[2] == 30.0);  // above the threshold: x itself
    sum(y).backward();
    const auto g = x.grad().to_vector<double>();
    CHECK(g[0] == doctest::Approx(0.5).epsilon(1e-15));
    CHECK(g[1] == doctest::Approx(0.7310585786300049).epsilon(1e-15));
    CHECK(g[2] == 1.0);
    CHECK(softplus(from_vector<double>({1}), 2.0).item<double>() == doctest::Approx(1.0634640055214863).epsilon(1e-15));
    CHECK(softplus(from_vector<float>({-100})).item<float>() == doctest::Approx(0.0).epsilon(1e-30));
    CHECK_THROWS_AS(softplus(from_vector<float>({1}), 0.0), ValueError);
    nn::Softplus m(2.0, 10.0);
    CHECK(m.forward(from_vector<double>({6})).item<double>() == 6.0);
}
