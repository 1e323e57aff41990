// The CUDA backend's reductions at GPT-2's sizes on the emulated device,
// against the cpu reference backend (which adds in double, one element after
// another), and the kernels each shape takes: rows split among blocks when
// there are few outputs (a gradient norm), columns walked by warps when the
// reduced elements are far apart (a bias gradient), and their second passes.
//
// Error bound for float32 sums: both devices accumulate in double and round
// once to float32. Two double sums of the same n terms in different orders
// differ by at most 2 (n - 1) 2^-53 sum|x| (each addition's rounding is at most
// 2^-53 times a partial sum bounded by sum|x|); after rounding to float32 they
// can still land on the two sides of a rounding boundary, one float32 ulp of
// the result apart. So |cuda - reference| <= ulp32(reference) + 2 n 2^-53 sum|x|.
// A float32 accumulator (the kernels before) misses it by orders of magnitude
// on 38.6M terms.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "peso.h"

using namespace peso;

namespace {

const Device kCuda = Device::cuda(0);

Tensor on_reference(const std::function<Tensor()>& f) {
    const CpuBackendGuard g("reference");
    return f();
}

double ulp32(double x) {
    const float f = static_cast<float>(std::fabs(x));
    return static_cast<double>(std::nextafter(f, std::numeric_limits<float>::infinity()) - f);
}

// Checks every element of `got` (float32 sums of n terms) against the
// reference's within the bound above; `abs_sums` holds sum|x| per element.
void check_sum_bound(const Tensor& got, const Tensor& ref, const Tensor& abs_sums, std::int64_t n) {
    const auto g = got.to(Device::cpu()).to(DType::f64).contiguous().to_vector<double>();
    const auto r = ref.to(DType::f64).contiguous().to_vector<double>();
    const auto a = abs_sums.to(DType::f64).contiguous().to_vector<double>();
    REQUIRE(g.size() == r.size());
    int failures = 0;
    double worst = 0;
    for (std::size_t i = 0; i < g.size(); ++i) {
        const double bound = ulp32(r[i]) + 2.0 * static_cast<double>(n) * std::ldexp(1.0, -53) * a[i];
        const double err = std::fabs(g[i] - r[i]);
        worst = std::max(worst, err / bound);
        if (err > bound && failures++ < 5) FAIL_CHECK("element ", i, ": cuda ", g[i], " reference ", r[i], " bound ", bound);
    }
    MESSAGE("largest error / bound: ", worst);
    CHECK(failures == 0);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("cuda reductions: the squared norm of a 50257x768 (wte) gradient, split among blocks") {
    Generator gen(11);
    const Tensor x = mul(randn({50257, 768}, {}, &gen), 0.02);
    const Tensor squares = mul(x, x);
    const Tensor ref = on_reference([&] { return sum(squares); });
    const Tensor dev = squares.to(kCuda);
    const auto start = std::chrono::steady_clock::now();
    const Tensor got = sum(dev);
    const double took = seconds_since(start);
    MESSAGE("sum of 38.6M float32 on the emulator: ", took, " s");
    check_sum_bound(got, ref, ref, squares.numel());  // squares: sum|x| is the sum
    // max over all elements (no identity element: the split's partial maxima).
    const Tensor biggest = on_reference([&] { return amax(squares, {}); });
    CHECK(amax(dev, {}).item<float>() == biggest.item<float>());
}

TEST_CASE("cuda reductions: a (4096, 768) bias gradient, summed over its rows by columns") {
    Generator gen(12);
    const Tensor dy = randn({4096, 768}, {}, &gen);
    const Tensor ref = on_reference([&] { return sum(dy, {0}); });
    const Tensor abs_sums = on_reference([&] { return sum(abs(dy.to(DType::f64)), {0}); });
    const Tensor got = sum(dy.to(kCuda), {0});
    CHECK(got.sizes() == Dims{768});
    check_sum_bound(got, ref, abs_sums, 4096);
}

TEST_CASE("cuda reductions: columns split among blocks, and their second pass") {
    // 64 columns leave the emulated device (4 multiprocessors) idle, so the
    // rows are split: partial results per block, then their columns again.
    Generator gen(13);
    const Tensor a = randn({4096, 64}, {}, &gen);
    const Tensor ac = a.to(kCuda);
    check_sum_bound(sum(ac, {0}), on_reference([&] { return sum(a, {0}); }),
                    on_reference([&] { return sum(abs(a.to(DType::f64)), {0}); }), 4096);
    // Extremes take their first element without an identity: NaN wins, as on the cpu.
    Tensor with_nan = a.clone();
    with_nan.narrow(0, 3000, 1).narrow(1, 5, 1).fill_(std::nan(""));
    const Tensor wn = with_nan.to(kCuda);
    CHECK(allclose(amax(wn, {0}).to(Device::cpu()), on_reference([&] { return amax(with_nan, {0}); }), 0.0, 0.0, true));
    CHECK(allclose(amin(wn, {0}).to(Device::cpu()), on_reference([&] { return amin(with_nan, {0}); }), 0.0, 0.0, true));
    CHECK(std::isnan(amax(wn, {0}).to(Device::cpu()).to_vector<float>()[5]));
    // Integers add exactly; bools reduce with all/any.
    const Tensor i = randint(-1000, 1000, {3000, 40}, TensorOptions(DType::i64), &gen);
    CHECK(equal(sum(i.to(kCuda), {0}).to(Device::cpu()), on_reference([&] { return sum(i, {0}); })));
    const Tensor b = gt(randn({2000, 50}, {}, &gen), -2.5);
    CHECK(equal(all(b.to(kCuda), {0}).to(Device::cpu()), on_reference([&] { return all(b, {0}); })));
    CHECK(equal(any(logical_not(b).to(kCuda), {0}).to(Device::cpu()),
                on_reference([&] { return any(logical_not(b), {0}); })));
}

TEST_CASE("cuda reductions: few long rows are split; many rows and general layouts are not") {
    Generator gen(14);
    for (const Dims& shape : {Dims{3, 70000}, Dims{40, 3000}, Dims{2, 3, 5000}}) {
        INFO("shape ", shape.str());
        const Tensor x = randn(shape, {}, &gen);
        const Tensor xc = x.to(kCuda);
        const int last = shape.size() - 1;
        check_sum_bound(sum(xc, {last}), on_reference([&] { return sum(x, {last}); }),
                        on_reference([&] { return sum(abs(x.to(DType::f64)), {last}); }), shape[last]);
        CHECK(equal(amax(xc, {last}).to(Device::cpu()), on_reference([&] { return amax(x, {last}); })));
        CHECK(equal(amin(xc, {last}).to(Device::cpu()), on_reference([&] { return amin(x, {last}); })));
    }
    // A non-mergeable layout (a transposed slice): OffsetCalc's path.
    const Tensor big = randn({30, 200, 6}, {}, &gen);
    const Tensor v = big.slice(2, 0, 6, 2);
    const Tensor cuda_view = big.to(kCuda).slice(2, 0, 6, 2);
    check_sum_bound(sum(cuda_view, {0, 2}), on_reference([&] { return sum(v, {0, 2}); }),
                    on_reference([&] { return sum(abs(v.to(DType::f64)), {0, 2}); }), 90);
}
