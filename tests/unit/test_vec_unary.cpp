// Accuracy of the vectorized float32 unary ops against double precision.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "backends/cpu/vec_unary.h"

using namespace peso::cpu;

namespace {

// Error in units of float epsilon relative to max(|exact|, tiny).
double rel_ulps(float got, double exact, double floor_abs) {
    return std::abs(static_cast<double>(got) - exact) / std::max(std::abs(exact), floor_abs) /
           std::numeric_limits<float>::epsilon();
}

template <typename F, typename G> double worst(F f, G exact, float lo, float hi, double floor_abs) {
    double w = 0;
    for (int i = 0; i <= 200000; ++i) {
        const float x = lo + (hi - lo) * static_cast<float>(i) / 200000.0f;
        w = std::max(w, rel_ulps(f(x), exact(static_cast<double>(x)), floor_abs));
    }
    return w;
}

}  // namespace

TEST_CASE("vectorized tanh, sigmoid and tanh-GELU are accurate to a few ulp") {
    CHECK(worst(tanh_f32, [](double x) { return std::tanh(x); }, -10.0f, 10.0f, 1e-30) < 4.0);
    CHECK(worst(tanh_f32, [](double x) { return std::tanh(x); }, -1e-3f, 1e-3f, 1e-30) < 2.0);  // tiny x: relative
    CHECK(worst(sigmoid_f32, [](double x) { return 1.0 / (1.0 + std::exp(-x)); }, -80.0f, 30.0f, 1e-30) < 4.0);
    // x/2 (1 + tanh u) written without cancellation, in double.
    auto gelu = [](double x) { return x / (1.0 + std::exp(-2.0 * 0.7978845608028654 * (x + 0.044715 * x * x * x))); };
    CHECK(worst(gelu_tanh_f32, gelu, -2.0f, 8.0f, 1e-37) < 8.0);
    // For large negative x the result is x e^(2u) with |2u| up to ~50: any
    // float evaluation of u carries |2u| ulp of relative error into it.
    CHECK(worst(gelu_tanh_f32, gelu, -8.0f, -2.0f, 1e-37) < 64.0);
}

TEST_CASE("vectorized erf and erf-GELU: absolute error below 4e-7, relative accuracy near 0") {
    double worst_abs = 0;
    for (int i = 0; i <= 200000; ++i) {
        const float x = -6.0f + 12.0f * static_cast<float>(i) / 200000.0f;
        worst_abs = std::max(worst_abs, std::abs(static_cast<double>(erf_f32(x)) - std::erf(static_cast<double>(x))));
    }
    CHECK(worst_abs < 4e-7);  // A&S 7.1.26 (1.5e-7) plus float rounding: a few ulp of erf there
    CHECK(worst(erf_f32, [](double x) { return std::erf(x); }, -0.49f, 0.49f, 1e-37) < 4.0);
    auto gelu = [](double x) { return 0.5 * x * (1.0 + std::erf(x * 0.7071067811865476)); };
    CHECK(worst(gelu_erf_f32, gelu, -0.7f, 8.0f, 1e-37) < 8.0);
    CHECK(worst(gelu_erf_f32, gelu, -1e-3f, 1e-3f, 1e-37) < 4.0);  // tiny x: relative
    double worst_gelu_abs = 0;
    for (int i = 0; i <= 200000; ++i) {
        const float x = -12.0f + 24.0f * static_cast<float>(i) / 200000.0f;
        worst_gelu_abs = std::max(worst_gelu_abs, std::abs(static_cast<double>(gelu_erf_f32(x)) - gelu(x)));
    }
    CHECK(worst_gelu_abs < 2e-6);  // x times erfc's 1.5e-7, plus rounding
    CHECK(std::isnan(erf_f32(std::numeric_limits<float>::quiet_NaN())));
    CHECK(erf_f32(std::numeric_limits<float>::infinity()) == 1.0f);
    CHECK(erf_f32(-std::numeric_limits<float>::infinity()) == -1.0f);
}

TEST_CASE("vectorized GELU derivatives match the double-precision formulas") {
    auto dgelu_erf = [](double x) {
        return 0.5 * (1.0 + std::erf(x * 0.7071067811865476)) + x * std::exp(-0.5 * x * x) * 0.3989422804014327;
    };
    auto dgelu_tanh = [](double x) {
        const double k = 0.7978845608028654, c = 0.044715, t = std::tanh(k * (x + c * x * x * x));
        return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * k * (1.0 + 3.0 * c * x * x);
    };
    double worst_erf = 0, worst_tanh = 0;
    for (int i = 0; i <= 200000; ++i) {
        const float x = -10.0f + 20.0f * static_cast<float>(i) / 200000.0f;
        // g = 3 checks that the gradient is multiplied in.
        worst_erf = std::max(worst_erf, std::abs(gelu_erf_backward_f32(3.0f, x) - 3.0 * dgelu_erf(x)));
        worst_tanh = std::max(worst_tanh, std::abs(gelu_tanh_backward_f32(3.0f, x) - 3.0 * dgelu_tanh(x)));
    }
    // The derivative lies in [-0.17, 1.13]: absolute error is what matters.
    CHECK(worst_erf < 3.0 * 1e-6);
    CHECK(worst_tanh < 3.0 * 1e-6);
    CHECK(gelu_erf_backward_f32(1.0f, 0.0f) == 0.5f);
    CHECK(gelu_tanh_backward_f32(1.0f, 0.0f) == 0.5f);
}

TEST_CASE("vectorized ops keep IEEE edge cases") {
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    CHECK(tanh_f32(inf) == 1.0f);
    CHECK(tanh_f32(-inf) == -1.0f);
    CHECK(std::isnan(tanh_f32(nan)));
    CHECK(sigmoid_f32(-inf) == 0.0f);
    CHECK(sigmoid_f32(inf) == 1.0f);
    CHECK(std::isnan(sigmoid_f32(nan)));
    CHECK(gelu_tanh_f32(-100.0f) == 0.0f);
    CHECK(gelu_tanh_f32(100.0f) == 100.0f);
    CHECK(gelu_erf_f32(inf) == inf);
    CHECK(std::isnan(gelu_erf_f32(-inf)));  // -inf * 0, as PyTorch gives
    CHECK(std::isnan(gelu_erf_f32(nan)));
    CHECK(std::abs(gelu_erf_f32(-100.0f)) < 1e-30f);  // -100 Phi(-100) underflows; a flushed tiny value is fine
    CHECK(gelu_erf_f32(100.0f) == 100.0f);
    CHECK(gelu_erf_f32(0.0f) == 0.0f);
    CHECK(exp_f32(-inf) == 0.0f);
    CHECK(exp_f32(100.0f) == inf);
}
