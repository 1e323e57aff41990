// softmax, log_softmax and layer_norm on both CPU backends, and the accuracy
// of the cpu backend's vectorizable exp (backends/cpu/vec_math.h).
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <vector>

#include "backends/cpu/vec_math.h"
#include "peso.h"

using namespace peso;

namespace {

const char* const kBackends[] = {"cpu", "reference"};
constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

void check_values(const Tensor& t, const std::vector<double>& expected, double tol = 1e-6) {
    const std::vector<double> got = t.to_vector<double>();
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        CAPTURE(i);
        if (std::isnan(expected[i])) CHECK(std::isnan(got[i]));
        else CHECK(got[i] == doctest::Approx(expected[i]).epsilon(tol).scale(1.0));
    }
}

// Distance in units in the last place between two finite floats of equal sign
// (or zero): consecutive floats have consecutive bit patterns.
std::int64_t ulp_distance(float a, float b) {
    return std::llabs(static_cast<std::int64_t>(std::bit_cast<std::int32_t>(a)) -
                      static_cast<std::int64_t>(std::bit_cast<std::int32_t>(b)));
}

}  // namespace

TEST_CASE("exp_f32 is within 1 ulp of the correctly rounded exp, and right at the edges") {
    std::int64_t worst = 0;
    float worst_x = 0;
    // Every 61st float between -110 and 95, across all binades in between.
    const std::uint32_t neg_hi = std::bit_cast<std::uint32_t>(-110.0f), pos_hi = std::bit_cast<std::uint32_t>(95.0f);
    auto scan = [&](std::uint32_t lo, std::uint32_t hi) {
        for (std::uint32_t b = lo; b <= hi; b += 61) {
            const float x = std::bit_cast<float>(b);
            const float want = static_cast<float>(std::exp(static_cast<double>(x)));
            const float got = cpu::exp_f32(x);
            const std::int64_t d = std::isinf(want) ? (std::isinf(got) ? 0 : 1000) : ulp_distance(got, want);
            if (d > worst) { worst = d; worst_x = x; }
        }
    };
    scan(0x80000000u, neg_hi);  // -0 down to -110
    scan(0u, pos_hi);           // +0 up to 95
    CAPTURE(worst_x);
    CHECK(worst <= 1);

    CHECK(cpu::exp_f32(0.0f) == 1.0f);
    CHECK(cpu::exp_f32(-kInf) == 0.0f);
    CHECK(cpu::exp_f32(-1000.0f) == 0.0f);
    CHECK(cpu::exp_f32(kInf) == kInf);
    CHECK(cpu::exp_f32(88.8f) == kInf);
    CHECK(cpu::exp_f32(1000.0f) == kInf);
    CHECK(std::isnan(cpu::exp_f32(kNan)));
    CHECK(std::isnan(cpu::exp_f32(-kNan)));
    // Subnormal results are kept, not flushed.
    CHECK(cpu::exp_f32(-100.0f) == static_cast<float>(std::exp(-100.0)));
    CHECK(cpu::exp_f32(-103.0f) > 0.0f);
    CHECK(cpu::exp_f32(88.7f) == doctest::Approx(std::exp(static_cast<double>(88.7f))).epsilon(2e-7));

    // The same numbers from a vectorized loop.
    std::vector<float> in(4099), out(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) in[i] = -100.0f + 0.047f * static_cast<float>(i);
#pragma omp simd
    for (std::size_t i = 0; i < in.size(); ++i) out[i] = cpu::exp_f32(in[i]);
    for (std::size_t i = 0; i < in.size(); ++i) CHECK(out[i] == cpu::exp_f32(in[i]));
}

TEST_CASE("softmax and log_softmax: hand-computed values") {
    for (const char* backend : kBackends) {
        CAPTURE(backend);
        CpuBackendGuard guard(backend);
        const Tensor x = tensor({1, 2, 3});
        check_values(softmax(x, 0), {0.09003057317038046, 0.24472847105479767, 0.6652409557748219});
        check_values(log_softmax(x, -1), {-2.4076059644443806, -1.4076059644443806, -0.4076059644443806});
        CHECK(x.softmax(0).sizes() == Dims{3});
        // Large values do not overflow.
        check_values(softmax(tensor({1000, 1000}), 0), {0.5, 0.5});
        check_values(softmax(tensor({1000, 0}), 0), {1, 0});
        check_values(log_softmax(tensor({1000, 0}), 0), {0, -1000});
        check_values(softmax(tensor({-1000, -1000, -1000, -1000}), 0), {0.25, 0.25, 0.25, 0.25});
        // -inf entries get probability 0; a row of only -inf is NaN, as in PyTorch.
        const Tensor m = tensor({-kInf, 0, -kInf, -kInf}).view({2, 2});
        const Tensor s = softmax(m, 1);
        check_values(s, {0, 1, kNan, kNan});
        check_values(log_softmax(m, 1).narrow(0, 1, 1), {kNan, kNan});
        CHECK(log_softmax(m, 1).select(0, 0).select(0, 0).item<float>() == -kInf);
        CHECK(std::isnan(softmax(tensor({1, kNan, 2}), 0).to_vector<float>()[0]));
        // f64
        const Tensor d = tensor({1, 2, 3}).to(DType::f64);
        CHECK(softmax(d, 0).dtype() == DType::f64);
        check_values(softmax(d, 0), {0.09003057317038046, 0.24472847105479767, 0.6652409557748219}, 1e-12);
    }
}

TEST_CASE("softmax over any dim, non-contiguous inputs, empty and size-1 dims") {
    for (const char* backend : kBackends) {
        CAPTURE(backend);
        CpuBackendGuard guard(backend);
        // Columns of x are {0, 3} / {1, 4} / {2, 5}: softmax over dim 0 of each.
        const Tensor x = arange(6).to(DType::f32).view({2, 3});
        const double a = 1.0 / (1.0 + std::exp(3.0)), b = 1.0 - a;
        const Tensor s0 = softmax(x, 0);
        CHECK(s0.sizes() == Dims{2, 3});
        CHECK(s0.is_contiguous());
        check_values(s0, {a, a, a, b, b, b});
        check_values(softmax(x.t(), 1), {a, b, a, b, a, b});
        check_values(softmax(x.t(), -2), {0.09003057317038046, 0.09003057317038046, 0.24472847105479767,
                                          0.24472847105479767, 0.6652409557748219, 0.6652409557748219});
        // 3-D over the middle dim, against the formula.
        const Tensor y = arange(24).to(DType::f32).view({2, 3, 4}) * 0.25;
        const Tensor sy = softmax(y, 1);
        const std::vector<float> yv = y.to_vector<float>();
        std::vector<double> want(24);
        for (int i = 0; i < 2; ++i)
            for (int k = 0; k < 4; ++k) {
                double z = 0;
                for (int j = 0; j < 3; ++j) z += std::exp(yv[i * 12 + j * 4 + k]);
                for (int j = 0; j < 3; ++j) want[i * 12 + j * 4 + k] = std::exp(yv[i * 12 + j * 4 + k]) / z;
            }
        check_values(sy, want);
        check_values(softmax(y.slice(2, 0, 4, 3), 1), {want[0], want[3], want[4], want[7], want[8], want[11],
                                                       want[12], want[15], want[16], want[19], want[20], want[23]});
        // Size-1 dim: probability 1, log-probability 0.
        check_values(softmax(ones({3, 1}), 1), {1, 1, 1});
        check_values(log_softmax(ones({3, 1}), 1), {0, 0, 0});
        CHECK(softmax(zeros({0, 4}), 1).sizes() == Dims{0, 4});
        CHECK(softmax(zeros({4, 0}), 1).sizes() == Dims{4, 0});
        CHECK(softmax(scalar_tensor(3.0), 0).item<float>() == 1.0f);
    }
}

TEST_CASE("softmax errors") {
    CHECK_THROWS_AS(softmax(arange(3), 0), DTypeError);
    CHECK_THROWS_AS(log_softmax(ones({2, 3}), 2), IndexError);
    CHECK_THROWS_AS(softmax(ones({2, 3}), -3), IndexError);
    CHECK_THROWS_AS(softmax(Tensor(), 0), ValueError);
}

TEST_CASE("cpu softmax agrees with the reference on long rows") {
    Generator gen(3);
    const Tensor x = randn({4, 50304}, {}, &gen) * 8.0;
    const Tensor small = randn({33, 77}, {}, &gen);
    for (const Tensor* in : {&x, &small}) {
        for (bool log : {false, true}) {
            Tensor ref;
            {
                CpuBackendGuard guard("reference");
                ref = log ? log_softmax(*in, 1) : softmax(*in, 1);
            }
            const Tensor got = log ? log_softmax(*in, 1) : softmax(*in, 1);
            CHECK(allclose(got, ref, 1e-5, log ? 1e-5 : 1e-12));
        }
    }
    const Tensor sum = softmax(x, 1).sum({1});
    check_values(sum, {1, 1, 1, 1}, 1e-5);
}

TEST_CASE("cpu softmax and log_softmax beyond the cache agree with the reference") {
    // 170 x 50301 floats = 34 MB, rows at every alignment.
    Generator gen(6);
    const Tensor x = randn({170, 50301}, {}, &gen) * 4.0;
    for (const bool log : {false, true}) {
        CAPTURE(log);
        Tensor ref;
        {
            CpuBackendGuard guard("reference");
            ref = log ? log_softmax(x, 1) : softmax(x, 1);
        }
        const Tensor got = log ? log_softmax(x, 1) : softmax(x, 1);
        CHECK(allclose(got, ref, 1e-5, log ? 1e-5 : 1e-12));
    }
}

TEST_CASE("cpu layer_norm beyond the cache (streaming stores) agrees with the reference") {
    // 170 x 50301 floats = 34 MB of output: the streaming path, with rows that
    // start at every alignment (50301 is odd), with and without weight/bias.
    Generator gen(5);
    const Tensor x = randn({170, 50301}, {}, &gen) * 3.0 + 1.0;
    const Tensor w = randn({50301}, {}, &gen), b = randn({50301}, {}, &gen);
    for (const bool affine : {true, false}) {
        CAPTURE(affine);
        const Tensor wt = affine ? w : Tensor(), bt = affine ? b : Tensor();
        Tensor ref;
        {
            CpuBackendGuard guard("reference");
            ref = std::get<0>(layer_norm(x, {50301}, wt, bt));
        }
        const Tensor got = std::get<0>(layer_norm(x, {50301}, wt, bt));
        CHECK(allclose(got, ref, 1e-5, 1e-5));
    }
}

TEST_CASE("layer_norm: hand-computed values, mean and rstd") {
    for (const char* backend : kBackends) {
        CAPTURE(backend);
        CpuBackendGuard guard(backend);
        const Tensor x = tensor({1, 2, 3, 4, 2, 2, 2, 2}).view({2, 4});
        // Row 0: mean 2.5, biased variance 1.25; row 1: variance 0, so rstd = 1/sqrt(eps).
        const double r0 = 1.0 / std::sqrt(1.25 + 1e-5), r1 = 1.0 / std::sqrt(1e-5);
        auto [out, mean, rstd] = layer_norm(x, {4}, Tensor(), Tensor(), 1e-5);
        CHECK(out.sizes() == Dims{2, 4});
        CHECK(mean.sizes() == Dims{2});
        CHECK(rstd.sizes() == Dims{2});
        CHECK(mean.dtype() == DType::f32);
        check_values(out, {-1.5 * r0, -0.5 * r0, 0.5 * r0, 1.5 * r0, 0, 0, 0, 0}, 1e-5);
        check_values(mean, {2.5, 2.0});
        check_values(rstd, {r0, r1}, 1e-5);

        const Tensor w = tensor({1, 2, 3, 4}), b = tensor({0, 1, 0, 1});
        auto [o2, m2, s2] = layer_norm(x, {4}, w, b, 1e-5);
        check_values(o2, {-1.5 * r0, -1.0 * r0 + 1, 1.5 * r0, 6.0 * r0 + 1, 0, 1, 0, 1}, 1e-5);
        check_values(std::get<0>(layer_norm(x, {4}, w, Tensor(), 1e-5)),
                     {-1.5 * r0, -r0, 1.5 * r0, 6.0 * r0, 0, 0, 0, 0}, 1e-5);
        check_values(std::get<0>(layer_norm(x, {4}, Tensor(), b, 1e-5)),
                     {-1.5 * r0, -0.5 * r0 + 1, 0.5 * r0, 1.5 * r0 + 1, 0, 1, 0, 1}, 1e-5);
    }
}

TEST_CASE("layer_norm over several trailing dims, non-contiguous input, accuracy") {
    for (const char* backend : kBackends) {
        CAPTURE(backend);
        CpuBackendGuard guard(backend);
        // (2, 2, 3) normalized over (2, 3): each leading slice is 0..5 + 6i.
        const Tensor x = arange(12).to(DType::f32).view({2, 2, 3});
        auto [out, mean, rstd] = layer_norm(x, {2, 3}, ones({2, 3}), zeros({2, 3}), 0.0);
        CHECK(mean.sizes() == Dims{2});
        check_values(mean, {2.5, 8.5});
        const double r = 1.0 / std::sqrt(35.0 / 12.0);
        check_values(rstd, {r, r}, 1e-6);
        check_values(out.select(0, 1), {-2.5 * r, -1.5 * r, -0.5 * r, 0.5 * r, 1.5 * r, 2.5 * r}, 1e-5);
        // Transposed input: rows are the columns {0, 3} / {1, 4} / {2, 5}.
        const Tensor t = arange(6).to(DType::f32).view({2, 3}).t();
        auto [ot, mt, rt] = layer_norm(t, {2}, Tensor(), Tensor(), 0.0);
        check_values(mt, {1.5, 2.5, 3.5});
        check_values(ot, {-1, 1, -1, 1, -1, 1}, 1e-6);
        // A large offset does not swamp the variance (two passes).
        const Tensor big = tensor({10000, 10001, 10002, 10003});
        auto [ob, mb, rb] = layer_norm(big, {4}, Tensor(), Tensor(), 0.0);
        check_values(rb, {1.0 / std::sqrt(1.25)}, 1e-5);
        check_values(ob, {-1.5 / std::sqrt(1.25), -0.5 / std::sqrt(1.25), 0.5 / std::sqrt(1.25), 1.5 / std::sqrt(1.25)},
                     1e-4);
        // No rows: empty results.
        auto [oe, me, re] = layer_norm(zeros({0, 5}), {5}, Tensor(), Tensor(), 1e-5);
        CHECK(oe.sizes() == Dims{0, 5});
        CHECK(me.sizes() == Dims{0});
    }
}

TEST_CASE("layer_norm errors") {
    const Tensor x = ones({2, 3, 4});
    CHECK_THROWS_AS(layer_norm(x, {3}, Tensor(), Tensor()), ShapeError);
    CHECK_THROWS_AS(layer_norm(x, {2, 3, 4, 1}, Tensor(), Tensor()), ShapeError);
    CHECK_THROWS_AS(layer_norm(x, {}, Tensor(), Tensor()), ShapeError);
    CHECK_THROWS_AS(layer_norm(x, {4}, ones({3}), Tensor()), ShapeError);
    CHECK_THROWS_AS(layer_norm(x, {3, 4}, Tensor(), ones({4})), ShapeError);
    CHECK_THROWS_AS(layer_norm(x, {4}, ones({4}).to(DType::f64), Tensor()), DTypeError);
    CHECK_THROWS_AS(layer_norm(arange(4), {4}, Tensor(), Tensor()), DTypeError);
    CHECK_THROWS_AS(layer_norm(Tensor(), {4}, Tensor(), Tensor()), ValueError);
    try {
        layer_norm(x, {3}, Tensor(), Tensor());
    } catch (const ShapeError& e) {
        CHECK(std::string(e.what()).find("layer_norm") != std::string::npos);
        CHECK(std::string(e.what()).find("[2, 3, 4]") != std::string::npos);
    }
}

TEST_CASE("cpu layer_norm agrees with the reference") {
    Generator gen(5);
    const Tensor x = randn({64, 768}, {}, &gen) * 3.0 + 1.5;
    const Tensor w = randn({768}, {}, &gen), b = randn({768}, {}, &gen);
    const Tensor xd = x.to(DType::f64), wd = w.to(DType::f64), bd = b.to(DType::f64);
    for (bool affine : {false, true}) {
        for (bool dbl : {false, true}) {
            const Tensor& in = dbl ? xd : x;
            const Tensor wa = affine ? (dbl ? wd : w) : Tensor(), ba = affine ? (dbl ? bd : b) : Tensor();
            std::tuple<Tensor, Tensor, Tensor> ref;
            {
                CpuBackendGuard guard("reference");
                ref = layer_norm(in, {768}, wa, ba, 1e-5);
            }
            const auto got = layer_norm(in, {768}, wa, ba, 1e-5);
            CHECK(allclose(std::get<0>(got), std::get<0>(ref), 1e-5, 1e-5));
            CHECK(allclose(std::get<1>(got), std::get<1>(ref), 1e-6, 1e-7));
            CHECK(allclose(std::get<2>(got), std::get<2>(ref), 1e-6, 1e-7));
        }
    }
}
