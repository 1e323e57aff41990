#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "nn/clip_grad.h"
#include "peso.h"

using namespace peso;
using peso::nn::clip_grad_norm_;
using peso::nn::clip_grad_value_;
using peso::nn::grad_norm;
using peso::nn::kInfNorm;

namespace {

// Two float32 parameters whose gradients are [3, 4] and [12]: 2-norm 13,
// 1-norm 19, inf-norm 12.
std::vector<Tensor> make_params() {
    Tensor a = zeros({2}).requires_grad_(), b = zeros({1}).requires_grad_(), c = zeros({3}).requires_grad_();
    a.set_grad(tensor({3.0f, -4.0f}));
    b.set_grad(tensor({12.0f}));
    return {a, b, c};  // c has no gradient
}

}  // namespace

TEST_CASE("clip_grad_norm_: returns the total norm and scales every gradient") {
    std::vector<Tensor> ps = make_params();
    const double norm = clip_grad_norm_(ps, 6.5);
    CHECK(norm == doctest::Approx(13.0).epsilon(1e-12));
    const double coef = 6.5 / (13.0 + 1e-6);
    const std::vector<float> a = ps[0].grad().to_vector<float>(), b = ps[1].grad().to_vector<float>();
    CHECK(a[0] == doctest::Approx(3.0 * coef).epsilon(1e-7));
    CHECK(a[1] == doctest::Approx(-4.0 * coef).epsilon(1e-7));
    CHECK(b[0] == doctest::Approx(12.0 * coef).epsilon(1e-7));
    CHECK_FALSE(ps[2].grad().defined());
    CHECK(grad_norm(ps) == doctest::Approx(6.5).epsilon(1e-6));
}

TEST_CASE("clip_grad_norm_: a norm below max_norm leaves the gradients alone") {
    std::vector<Tensor> ps = make_params();
    CHECK(clip_grad_norm_(ps, 100.0) == doctest::Approx(13.0));
    CHECK(ps[0].grad().to_vector<float>() == std::vector<float>{3.0f, -4.0f});
}

TEST_CASE("clip_grad_norm_: 1, 3 and infinity norms") {
    std::vector<Tensor> ps = make_params();
    CHECK(grad_norm(ps, 1.0) == doctest::Approx(19.0));
    CHECK(grad_norm(ps, 3.0) == doctest::Approx(std::cbrt(27.0 + 64.0 + 1728.0)).epsilon(1e-12));
    CHECK(grad_norm(ps, kInfNorm) == 12.0);
    CHECK(clip_grad_norm_(ps, 6.0, kInfNorm) == 12.0);
    CHECK(ps[1].grad().to_vector<float>()[0] == doctest::Approx(6.0 * 12.0 / (12.0 + 1e-6)).epsilon(1e-7));
    CHECK_THROWS_AS(grad_norm(ps, 0.0), ValueError);
    CHECK_THROWS_AS(grad_norm(ps, -2.0), ValueError);
}

TEST_CASE("clip_grad_norm_: no gradients, non-finite norms") {
    Tensor p = zeros({2}).requires_grad_();
    CHECK(clip_grad_norm_({p}, 1.0) == 0.0);
    p.set_grad(tensor({std::numeric_limits<float>::quiet_NaN(), 1.0f}));
    CHECK_THROWS_AS(clip_grad_norm_({p}, 1.0, 2.0, true), ValueError);
    CHECK(std::isnan(p.grad().to_vector<float>()[0]));
    CHECK(p.grad().to_vector<float>()[1] == 1.0f);  // the throw came first
    CHECK(std::isnan(clip_grad_norm_({p}, 1.0)));
    CHECK(std::isnan(p.grad().to_vector<float>()[1]));  // as PyTorch: NaN coefficient
    Tensor q = zeros({2}).requires_grad_();
    q.set_grad(tensor({std::numeric_limits<float>::infinity(), 1.0f}));
    CHECK(std::isinf(grad_norm({q}, kInfNorm)));
    q.set_grad(tensor({1.0f, std::numeric_limits<float>::quiet_NaN()}));
    CHECK(std::isnan(grad_norm({q}, kInfNorm)));
}

TEST_CASE("clip_grad_norm_: large, float64, non-contiguous gradients against a double sum") {
    Generator gen(9);
    Tensor big = zeros({300001}).requires_grad_();  // several blocks, threads, and a tail
    big.set_grad(randn({300001}, {}, &gen));
    Tensor d = zeros({3, 4}, DType::f64).requires_grad_();
    d.set_grad(randn({4, 3}, DType::f64, &gen).t());  // transposed view
    REQUIRE_FALSE(d.grad().is_contiguous());
    double sq = 0.0, l1 = 0.0, mx = 0.0;
    for (float v : big.grad().to_vector<float>()) sq += double(v) * v, l1 += std::fabs(v), mx = std::max(mx, double(std::fabs(v)));
    for (double v : d.grad().contiguous().to_vector<double>()) sq += v * v, l1 += std::fabs(v), mx = std::max(mx, std::fabs(v));
    CHECK(grad_norm({big, d}) == doctest::Approx(std::sqrt(sq)).epsilon(1e-12));
    CHECK(grad_norm({big, d}, 1.0) == doctest::Approx(l1).epsilon(1e-12));
    CHECK(grad_norm({big, d}, kInfNorm) == mx);
    const double total = clip_grad_norm_({big, d}, 1.0);
    CHECK(total == doctest::Approx(std::sqrt(sq)).epsilon(1e-12));
    CHECK(grad_norm({big, d}) == doctest::Approx(1.0).epsilon(1e-5));
}

TEST_CASE("clip_grad_value_ clamps every gradient") {
    std::vector<Tensor> ps = make_params();
    clip_grad_value_(ps, 3.5);
    CHECK(ps[0].grad().to_vector<float>() == std::vector<float>{3.0f, -3.5f});
    CHECK(ps[1].grad().to_vector<float>() == std::vector<float>{3.5f});
    CHECK_FALSE(ps[2].grad().defined());
}
