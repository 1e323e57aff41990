// Reductions: sum, prod, mean, var/std, amax/amin, max/min with indices,
// argmax/argmin, logsumexp, all/any — hand-computed values on both CPU
// backends, layouts the cpu backend treats specially, and error cases.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "peso.h"

using namespace peso;

namespace {

const char* const kBackends[] = {"cpu", "reference"};
constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// 0, 1, ..., 23 as float32 of shape (2, 3, 4): x[i][j][k] = 12i + 4j + k.
Tensor iota234() { return arange(24).to(DType::f32).view({2, 3, 4}); }

void check_values(const Tensor& t, const std::vector<double>& expected, double tol = 1e-6) {
    const std::vector<double> got = t.to_vector<double>();
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        CAPTURE(i);
        if (std::isnan(expected[i])) CHECK(std::isnan(got[i]));
        else if (std::isinf(expected[i])) CHECK(got[i] == expected[i]);
        else CHECK(got[i] == doctest::Approx(expected[i]).epsilon(tol).scale(1.0));
    }
}

}  // namespace

TEST_CASE("sum over any set of dims, with keepdim and negative dims") {
    for (const char* backend : kBackends) {
        CAPTURE(backend);
        CpuBackendGuard guard(backend);
        const Tensor x = iota234();
        CHECK(x.sum().item<float>() == 276.0f);
        CHECK(x.sum().dim() == 0);

        Tensor s0 = x.sum({0});
        CHECK(s0.sizes() == Dims{3, 4});
        check_values(s0, {12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34});

        Tensor s1 = x.sum({1});
        CHECK(s1.sizes() == Dims{2, 4});
        check_values(s1, {12, 15, 18, 21, 48, 51, 54, 57});

        check_values(x.sum({2}), {6, 22, 38, 54, 70, 86});
        Tensor k = x.sum({-1}, true);
        CHECK(k.sizes() == Dims{2, 3, 1});
        check_values(k, {6, 22, 38, 54, 70, 86});

        check_values(x.sum({0, 2}), {60, 92, 124});
        check_values(x.sum({2, 0}), {60, 92, 124});
        check_values(x.sum({-3, -1}, true), {60, 92, 124});
        CHECK(x.sum({-3, -1}, true).sizes() == Dims{1, 3, 1});
        CHECK(x.sum({0, 1, 2}).item<float>() == 276.0f);
    }
}

TEST_CASE("sum of non-contiguous inputs") {
    for (const char* backend : kBackends) {
        CAPTURE(backend);
        CpuBackendGuard guard(backend);
        const Tensor x = iota234();
        // (4, 3, 2): t[k][j][i] = 12i + 4j + k
        const Tensor t = x.transpose(0, 2);
        check_values(t.sum({0}), {6, 54, 22, 70, 38, 86});
        check_values(t.sum({2}), {12, 20, 28, 14, 22, 30, 16, 24, 32, 18, 26, 34});
        CHECK(t.sum().item<float>() == 276.0f);
        // Every other k: sum over k in {0, 2} of 12i + 4j + k = 24i + 8j + 2.
        const Tensor s = x.slice(2, 0, 4, 2);
        check_values(s.sum({2}), {2, 10, 18, 26, 34, 42});
        check_values(s.sum({0, 1}), {60, 72});
        // Broadcast (stride-0) input.
        const Tensor e = tensor({1, 2, 3}).expand({4, 3});
        check_values(e.sum({0}), {4, 8, 12});
        check_values(e.sum({1}), {6, 6, 6, 6});
    }
}

TEST_CASE("sum dtypes: integers and bools give int64") {
    for (const char* backend : kBackends) {
        CAPTURE(backend);
        CpuBackendGuard guard(backend);
        const Tensor i64 = arange(5);
        CHECK(i64.sum().dtype() == DType::i64);
        CHECK(i64.sum().item<std::int64_t>() == 10);
        const Tensor i32 = arange(6).to(DType::i32).view({2, 3});
        CHECK(i32.sum({1}).dtype() == DType::i64);
        CHECK(i32.sum({1}).to_vector<std::int64_t>() == std::vector<std::int64_t>{3, 12});
        const Tensor b = tensor({1, 0, 1, 1}).to(DType::b8);
        CHECK(b.sum().dtype() == DType::i64);
        CHECK(b.sum().item<std::int64_t>() == 3);
        CHECK(tensor({1.5f}).to(DType::f64).sum().dtype() == DType::f64);
        // int64 sums beyond 2^53 stay exact.
        const Tensor big = full({3}, std::int64_t{1} << 60, TensorOptions(DType::i64));
        CHECK(big.sum({0}, false).item<std::int64_t>() == 3 * (std::int64_t{1} << 60));
    }
}

TEST_CASE("reductions of empty tensors, size-1 dims and 0-dim tensors") {
    for (const char* backend : kBackends) {
        CAPTURE(backend);
        CpuBackendGuard guard(backend);
        const Tensor e = zeros({0, 3});
        CHECK(e.sum().item<float>() == 0.0f);
        CHECK(e.sum({0}).sizes() == Dims{3});
        check_values(e.sum({0}), {0, 0, 0});
        CHECK(e.sum({1}).sizes() == Dims{0});
        check_values(prod(e, {0}), {1, 1, 1});
        CHECK(std::isnan(e.mean().item<float>()));
        CHECK(all(e).item<bool>());
        CHECK_FALSE(any(e).item<bool>());
        CHECK(amax(e, {1}).sizes() == Dims{0});  // nothing to reduce into
        check_values(zeros({0, 10}).sum({0}), std::vector<double>(10, 0.0));
        check_values(prod(zeros({0, 10}).to(DType::i32), {0}), std::vector<double>(10, 1.0));
        check_values(zeros({0, 10}).t().sum({1}), std::vector<double>(10, 0.0));
        check_values(zeros({3, 0}).sum({1}), {0, 0, 0});
        check_values(var(zeros({3, 0}), {1}), {kNan, kNan, kNan});
        check_values(any(zeros({3, 0}), {1}), {0, 0, 0});

        const Tensor u = ones({1, 3, 1});
        CHECK(u.sum({0}).sizes() == Dims{3, 1});
        check_values(u.sum({0, 2}), {1, 1, 1});
        check_values(u.sum({1}, true), {3});
        CHECK(u.sum({1}, true).sizes() == Dims{1, 1, 1});

        const Tensor s = scalar_tensor(5.0);
        CHECK(s.sum().item<float>() == 5.0f);
        CHECK(s.sum({0}).dim() == 0);
        CHECK(s.sum({-1}, true).dim() == 0);
        CHECK(amax(s).item<float>() == 5.0f);
        auto [v, i] = max(s, 0);
        CHECK(v.item<float>() == 5.0f);
        CHECK(i.item<std::int64_t>() == 0);
        CHECK(i.dim() == 0);
    }
}

TEST_CASE("reduction dim errors") {
    const Tensor x = iota234();
    CHECK_THROWS_AS(x.sum({3}), IndexError);
    CHECK_THROWS_AS(x.sum({-4}), IndexError);
    CHECK_THROWS_AS(x.sum({0, 0}), ValueError);
    CHECK_THROWS_AS(x.sum({0, -3}), ValueError);
    CHECK_THROWS_AS(mean(arange(4)), DTypeError);
    CHECK_THROWS_AS(var(arange(4)), DTypeError);
    CHECK_THROWS_AS(amax(zeros({2, 0}), {1}), IndexError);
    CHECK_THROWS_AS(amin(zeros({0})), IndexError);
    CHECK_THROWS_AS(max(zeros({3, 0}), 1), IndexError);
    CHECK_THROWS_AS(max(x, 3), IndexError);
    CHECK_THROWS_AS(argmax(zeros({0})), IndexError);
    CHECK_THROWS_AS(sum(Tensor()), ValueError);
    try {
        amax(zeros({2, 0}), {1});
    } catch (const IndexError& err) {
        CHECK(std::string(err.what()).find("amax") != std::string::npos);
    }
}

TEST_CASE("float sums are accurate over many elements") {
    Generator gen(7);
    const std::int64_t n = 1 << 21;
    const Tensor x = rand({n}, {}, &gen) + 0.1;
    const std::vector<float> v = x.to_vector<float>();
    double ref = 0;
    for (float f : v) ref += f;
    // Columns: (rows, cols) summed over dim 0, the bias-gradient layout, in
    // both of the cpu backend's regimes (many column blocks, or few blocks
    // and rows split between threads), and a column count below one block.
    const Tensor wide = rand({3000, 700}, {}, &gen);
    const Tensor narrow_cols = rand({200000, 20}, {}, &gen);
    for (const char* backend : kBackends) {
        CAPTURE(backend);
        CpuBackendGuard guard(backend);
        CHECK(x.sum().item<float>() == doctest::Approx(ref).epsilon(1e-6));
        // Exact sums: a single lost or repeated element would show.
        CHECK(ones({n}).sum().item<float>() == static_cast<float>(n));
        CHECK(arange(n).sum().item<std::int64_t>() == n * (n - 1) / 2);
        CHECK(amax(arange(n)).item<std::int64_t>() == n - 1);
        CHECK(x.view({1, n}).sum({1}).item<float>() == doctest::Approx(ref).epsilon(1e-6));
        CHECK(x.mean().item<float>() == doctest::Approx(ref / n).epsilon(1e-6));
        for (const Tensor* m : {&wide, &narrow_cols}) {
            const std::int64_t rows = m->size(0), cols = m->size(1);
            const std::vector<float> mv = m->to_vector<float>();
            std::vector<double> col(static_cast<std::size_t>(cols), 0.0);
            for (std::int64_t r = 0; r < rows; ++r)
                for (std::int64_t c = 0; c < cols; ++c) col[c] += mv[r * cols + c];
            check_values(m->sum({0}), col, 1e-6);
            // The same reduction through a transposed view: strided rows.
            check_values(m->t().sum({1}), col, 1e-6);
        }
    }
}

TEST_CASE("cpu and reference agree on random reductions in many layouts") {
    Generator gen(11);
    const Tensor x = randn({5, 6, 7, 8}, {}, &gen);
    const Tensor xt = x.permute({2, 0, 3, 1});
    const std::vector<Dims> dim_sets = {{0}, {1}, {2}, {3}, {0, 1}, {1, 3}, {0, 2, 3}, {}, {-1, -2}};
    for (const Tensor* in : {&x, &xt}) {
        for (const Dims& dims : dim_sets) {
            CAPTURE(dims);
            Tensor ref_sum, ref_var, ref_max, ref_prod;
            {
                CpuBackendGuard guard("reference");
                ref_sum = in->sum(dims);
                ref_var = var(*in, dims);
                ref_max = amin(*in, dims);
                ref_prod = prod(*in, dims);
            }
            CHECK(allclose(in->sum(dims), ref_sum, 1e-5, 1e-5));
            CHECK(allclose(var(*in, dims), ref_var, 1e-5, 1e-6));
            CHECK(equal(amin(*in, dims), ref_max));
            CHECK(allclose(prod(*in, dims), ref_prod, 1e-5, 1e-30));
        }
    }
}

TEST_CASE("prod and mean") {
    for (const char* backend : kBackends) {
        CAPTURE(backend);
        CpuBackendGuard guard(backend);
        const Tensor x = tensor({1, 2, 3, 4});
        CHECK(x.view({2, 2}).to(DType::f64).sum().dtype() == DType::f64);
        CHECK(prod(x).item<float>() == 24.0f);
        check_values(prod(x.view({2, 2}), {1}), {2, 12});
        check_values(prod(x.view({2, 2}), {0}, true), {3, 8});
        CHECK(prod(arange(1, 6)).dtype() == DType::i64);
        CHECK(prod(arange(1, 6)).item<std::int64_t>() == 120);

        const Tensor m = iota234();
        Tensor mm = m.mean({1});
        CHECK(mm.sizes() == Dims{2, 4});
        check_values(mm, {4, 5, 6, 7, 16, 17, 18, 19});
        CHECK(m.mean().item<float>() == 11.5f);
        check_values(m.mean({0, 2}, true), {7.5, 11.5, 15.5});
        CHECK(m.mean({0, 2}, true).sizes() == Dims{1, 3, 1});
    }
}

TEST_CASE("var and std with correction") {
    for (const char* backend : kBackends) {
        CAPTURE(backend);
        CpuBackendGuard guard(backend);
        const Tensor x = tensor({1, 2, 3, 4});
        CHECK(var(x).item<float>() == doctest::Approx(5.0 / 3.0));
        CHECK(var(x, {}, 0.0).item<float>() == doctest::Approx(1.25));
        CHECK(native::std(x).item<float>() == doctest::Approx(std::sqrt(5.0 / 3.0)));
        CHECK(native::std(x, {0}, 0.0, true).sizes() == Dims{1});
        // n - correction <= 0 divides by 0, as PyTorch: inf, or NaN for 0 / 0.
        CHECK(std::isinf(var(x, {}, 5.0).item<float>()));
        CHECK(std::isnan(var(tensor({3})).item<float>()));
        CHECK(var(tensor({3}), {}, 0.0).item<float>() == 0.0f);
        CHECK(std::isnan(var(zeros({0})).item<float>()));
        // Along dim 1 every column of iota234 is {a, a + 4, a + 8}: variance 16.
        check_values(var(iota234(), {1}), std::vector<double>(8, 16.0));
        check_values(var(iota234().transpose(0, 1), {0}, 0.0), std::vector<double>(8, 32.0 / 3.0));
        // Two passes keep a large offset from swamping the variance.
        const Tensor off = tensor({10000.0f, 10001.0f, 10002.0f, 10003.0f});
        CHECK(var(off).item<float>() == doctest::Approx(5.0 / 3.0).epsilon(1e-6));
    }
}

TEST_CASE("amax and amin, with NaN propagation") {
    for (const char* backend : kBackends) {
        CAPTURE(backend);
        CpuBackendGuard guard(backend);
        const Tensor x = iota234();
        CHECK(amax(x).item<float>() == 23.0f);
        CHECK(amin(x).item<float>() == 0.0f);
        check_values(amax(x, {1}), {8, 9, 10, 11, 20, 21, 22, 23});
        check_values(amin(x, {0, 2}, true), {0, 4, 8});
        check_values(amax(x.transpose(0, 2), {2}), {12, 16, 20, 13, 17, 21, 14, 18, 22, 15, 19, 23});
        const Tensor n = tensor({1, kNan, 3, -kInf});
        CHECK(std::isnan(amax(n).item<float>()));
        CHECK(std::isnan(amin(n).item<float>()));
        check_values(amin(tensor({1, 3, -kInf, 2})), {-kInf});
        // NaN in the middle of a long row (vector lanes) and in a column.
        Tensor long_row = arange(1000).to(DType::f32);
        long_row.narrow(0, 517, 1).fill_(kNan);
        CHECK(std::isnan(amax(long_row).item<float>()));
        check_values(amax(long_row.view({100, 10}), {0}), {990, 991, 992, 993, 994, 995, 996, kNan, 998, 999});
        const Tensor b = tensor({0, 1, 0}).to(DType::b8);
        CHECK(amax(b).item<bool>());
        CHECK_FALSE(amin(b).item<bool>());
        const Tensor i = tensor({3, -7, 5}).to(DType::i32);
        CHECK(amin(i).item<std::int32_t>() == -7);
        CHECK(amax(i).dtype() == DType::i32);
    }
}

TEST_CASE("max and min along a dim return values and first indices") {
    for (const char* backend : kBackends) {
        CAPTURE(backend);
        CpuBackendGuard guard(backend);
        const Tensor x = tensor({1, 5, 5, 7, 2, 7}).view({2, 3});
        auto [v, i] = max(x, 1);
        check_values(v, {5, 7});
        CHECK(i.dtype() == DType::i64);
        CHECK(i.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0});
        auto [v0, i0] = min(x, 0, true);
        CHECK(v0.sizes() == Dims{1, 3});
        check_values(v0, {1, 2, 5});
        CHECK(i0.to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 1, 0});
        auto [vt, it] = max(x.t(), -1);  // strided rows
        check_values(vt, {7, 5, 7});
        CHECK(it.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0, 1});
        auto [vn, in] = max(tensor({1, kNan, 3, kNan}), 0);
        CHECK(std::isnan(vn.item<float>()));
        CHECK(in.item<std::int64_t>() == 1);
        auto [mn, mi] = min(tensor({1, -2, kNan, -5}), 0);
        CHECK(std::isnan(mn.item<float>()));
        CHECK(mi.item<std::int64_t>() == 2);
        // NaN in a strided row (the reduced dim is not the last one).
        auto [vc, ic] = max(tensor({1, 2, kNan, 5, 9, kNan}).view({3, 2}), 0);
        check_values(vc, {kNan, kNan});
        CHECK(ic.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 2});
        auto [v1, i1] = max(ones({3, 1}), 1);  // a dim of size 1
        check_values(v1, {1, 1, 1});
        CHECK(i1.to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 0, 0});
        auto [ve, ie] = max(zeros({0, 4}), 1);
        CHECK(ve.sizes() == Dims{0});
        CHECK(ie.sizes() == Dims{0});
        // Long rows (vectorized search) with the extreme planted twice.
        Tensor r = remainder(arange(3000).to(DType::f32), full({}, 97.0)).view({3, 1000});
        r.select(0, 1).narrow(0, 640, 1).fill_(500.0);
        r.select(0, 1).narrow(0, 900, 1).fill_(500.0);
        CHECK(argmax(r, 1).to_vector<std::int64_t>() == std::vector<std::int64_t>{96, 640, 36});
        CHECK(argmin(r, 1).to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 67, 37});
    }
}

TEST_CASE("argmax and argmin, over a dim or the flattened tensor") {
    for (const char* backend : kBackends) {
        CAPTURE(backend);
        CpuBackendGuard guard(backend);
        const Tensor x = tensor({3, 9, 1, 9, 0, 4}).view({2, 3});
        CHECK(argmax(x).item<std::int64_t>() == 1);
        CHECK(argmax(x).dim() == 0);
        CHECK(argmin(x).item<std::int64_t>() == 4);
        CHECK(argmax(x, {}, true).sizes() == Dims{1, 1});
        CHECK(argmax(x, 0).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0, 1});
        CHECK(argmin(x, -1, true).sizes() == Dims{2, 1});
        CHECK(argmin(x, -1, true).to_vector<std::int64_t>() == std::vector<std::int64_t>{2, 1});
        // Flattened in the logical (row-major) order of a transposed view.
        CHECK(argmin(x.t()).item<std::int64_t>() == 3);
        CHECK(x.argmax(1).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0});
        CHECK(argmax(arange(5)).item<std::int64_t>() == 4);
        CHECK(argmax(tensor({0, 1, 1}).to(DType::b8)).item<std::int64_t>() == 1);
    }
}

TEST_CASE("logsumexp is stable") {
    for (const char* backend : kBackends) {
        CAPTURE(backend);
        CpuBackendGuard guard(backend);
        const double l123 = 3.0 + std::log(1.0 + std::exp(-1.0) + std::exp(-2.0));
        CHECK(logsumexp(tensor({1, 2, 3}), {0}).item<float>() == doctest::Approx(l123));
        CHECK(logsumexp(tensor({1000, 1000}), {0}).item<float>() == doctest::Approx(1000.0 + std::log(2.0)));
        CHECK(logsumexp(tensor({-1000, -1000}), {0}).item<float>() == doctest::Approx(-1000.0 + std::log(2.0)));
        Tensor rows = tensor({-kInf, -kInf, 0, -kInf, 1, 2, kInf, 0}).view({4, 2});
        Tensor l = logsumexp(rows, {1});
        check_values(l, {-kInf, 0, 2.0 + std::log(1.0 + std::exp(-1.0)), kInf});
        CHECK(logsumexp(rows, {1}, true).sizes() == Dims{4, 1});
        CHECK(std::isnan(logsumexp(tensor({1, kNan}), {0}).item<float>()));
        CHECK(logsumexp(zeros({2, 0}), {1}).to_vector<float>() == std::vector<float>{-kInf, -kInf});
        const Tensor li = logsumexp(arange(3), {0});
        CHECK(li.dtype() == DType::f32);
        CHECK(li.item<float>() == doctest::Approx(2.0 + std::log(1.0 + std::exp(-1.0) + std::exp(-2.0))));
        check_values(logsumexp(iota234(), {0, 2}),
                     {15 + std::log(1 + std::exp(-1.) + std::exp(-2.) + std::exp(-3.)) +
                          std::log(1 + std::exp(-12.)),
                      19 + std::log(1 + std::exp(-1.) + std::exp(-2.) + std::exp(-3.)) +
                          std::log(1 + std::exp(-12.)),
                      23 + std::log(1 + std::exp(-1.) + std::exp(-2.) + std::exp(-3.)) +
                          std::log(1 + std::exp(-12.))});
    }
}

TEST_CASE("all and any") {
    for (const char* backend : kBackends) {
        CAPTURE(backend);
        CpuBackendGuard guard(backend);
        const Tensor b = tensor({1, 0, 1, 1, 1, 1}).to(DType::b8).view({2, 3});
        CHECK_FALSE(all(b).item<bool>());
        CHECK(any(b).item<bool>());
        CHECK(all(b).dtype() == DType::b8);
        CHECK(all(b, {1}).to_vector<bool>() == std::vector<bool>{false, true});
        CHECK(all(b, {0}, true).sizes() == Dims{1, 3});
        CHECK(all(b, {0}).to_vector<bool>() == std::vector<bool>{true, false, true});
        CHECK(any(logical_not(b), {1}).to_vector<bool>() == std::vector<bool>{true, false});
        // Non-bool inputs test x != 0; NaN is nonzero.
        CHECK(all(tensor({1, kNan, -2})).item<bool>());
        CHECK_FALSE(any(zeros({5})).item<bool>());
        CHECK(any(arange(3)).item<bool>());
        CHECK_FALSE(all(arange(3)).item<bool>());
        Tensor big = ones({5000}).to(DType::b8);
        CHECK(all(big).item<bool>());
        big.narrow(0, 4321, 1).fill_(false);
        CHECK_FALSE(all(big).item<bool>());
        CHECK(any(big.view({50, 100}).t(), {1}).to_vector<bool>() == std::vector<bool>(100, true));
    }
}
