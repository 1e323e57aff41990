#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "core/bfloat16.h"
#include "peso.h"

using namespace peso;

namespace {
const char* kBackends[] = {"cpu", "reference"};
std::vector<double> vals(const Tensor& t) { return t.to_vector<double>(); }
}  // namespace

TEST_CASE("gelu_backward: grad times gelu'(x) in one pass, both forms, both backends") {
    // d/dx gelu at 1, -1, 2.5 (erf form: Phi(x) + x phi(x); tanh form by its formula), in double.
    const std::vector<double> d_erf{1.0833154705876864, -0.08331547058768629, 1.037611085908145};
    const std::vector<double> d_tanh{1.0829640838457826, -0.08296408384578255, 1.037951576212666};
    for (const char* b : kBackends) {
        CpuBackendGuard guard(b);
        CAPTURE(b);
        for (const DType dt : {DType::f64, DType::f32}) {
            CAPTURE(dt);
            const double tol = dt == DType::f64 ? 1e-12 : 2e-6;
            const Tensor x = from_vector<double>({1.0, -1.0, 2.5}).to(dt);
            const Tensor g = from_vector<double>({2.0, 2.0, -1.0}).to(dt);
            const auto ge = vals(native::gelu_backward(g, x));
            const auto gt = vals(native::gelu_backward(g, x, "tanh"));
            for (int i = 0; i < 3; ++i) {
                const double gi = i < 2 ? 2.0 : -1.0;
                CHECK(ge[i] == doctest::Approx(gi * d_erf[i]).epsilon(tol));
                CHECK(gt[i] == doctest::Approx(gi * d_tanh[i]).epsilon(tol));
            }
        }
    }
    CHECK_THROWS_AS(native::gelu_backward(ones({2}, DType::i64), ones({2}, DType::i64)), DTypeError);
    CHECK_THROWS_AS(native::gelu_backward(ones({2}), ones({2}), "fast"), ValueError);
    CHECK_THROWS_AS(native::gelu_backward(ones({2}), ones({3})), ShapeError);
}

TEST_CASE("unary ops on hand-computed values") {
    for (const char* b : kBackends) {
        CpuBackendGuard g(b);
        CAPTURE(b);
        const Tensor x = from_vector<double>({-2.0, -0.5, 0.0, 0.5, 3.0});
        CHECK(vals(neg(x)) == std::vector<double>{2.0, 0.5, -0.0, -0.5, -3.0});
        CHECK(vals(abs(x)) == std::vector<double>{2.0, 0.5, 0.0, 0.5, 3.0});
        CHECK(vals(relu(x)) == std::vector<double>{0.0, 0.0, 0.0, 0.5, 3.0});
        CHECK(vals(sign(x)) == std::vector<double>{-1, -1, 0, 1, 1});
        CHECK(vals(floor(x)) == std::vector<double>{-2, -1, 0, 0, 3});
        CHECK(vals(ceil(x)) == std::vector<double>{-2, -0.0, 0, 1, 3});
        CHECK(vals(round(from_vector<double>({0.5, 1.5, 2.5, -0.5}))) == std::vector<double>{0, 2, 2, -0.0});
        const auto e = vals(exp(x));
        CHECK(e[0] == doctest::Approx(std::exp(-2.0)).epsilon(1e-15));
        CHECK(vals(sigmoid(from_vector<double>({0.0, -1000.0, 1000.0}))) == std::vector<double>{0.5, 0.0, 1.0});
        const auto ge = vals(gelu(from_vector<double>({1.0, -1.0})));
        CHECK(ge[0] == doctest::Approx(0.8413447460685429).epsilon(1e-12));
        CHECK(ge[1] == doctest::Approx(-0.15865525393145707).epsilon(1e-12));
        const auto gt = vals(gelu(from_vector<double>({1.0}), "tanh"));
        CHECK(gt[0] == doctest::Approx(0.8411919906082768).epsilon(1e-12));
        CHECK(vals(pow(x, 2)) == std::vector<double>{4.0, 0.25, 0.0, 0.25, 9.0});
        CHECK(vals(clamp(x, -1.0, 1.0)) == std::vector<double>{-1.0, -0.5, 0.0, 0.5, 1.0});
        CHECK(vals(rsqrt(from_vector<double>({4.0}))) == std::vector<double>{0.5});
        // NaN propagates through relu, clamp and maximum, as in PyTorch.
        const double nan = std::numeric_limits<double>::quiet_NaN();
        const Tensor n = from_vector<double>({nan});
        CHECK(std::isnan(relu(n).item<double>()));
        CHECK(std::isnan(clamp(n, 0.0, 1.0).item<double>()));
        CHECK(std::isnan(maximum(n, from_vector<double>({1.0})).item<double>()));
        CHECK(isnan(n).item<bool>());
        CHECK(log(from_vector<double>({0.0})).item<double>() == -std::numeric_limits<double>::infinity());
    }
}

TEST_CASE("integer inputs to floating unary ops are promoted to float32") {
    const Tensor i = arange(4);
    CHECK(i.dtype() == DType::i64);
    CHECK(exp(i).dtype() == DType::f32);
    CHECK(sqrt(i).to_vector<float>() == std::vector<float>{0.0f, 1.0f, std::sqrt(2.0f), std::sqrt(3.0f)});
    CHECK(neg(i).dtype() == DType::i64);
    CHECK(logical_not(i).to_vector<bool>() == std::vector<bool>{true, false, false, false});
    CHECK_THROWS_AS(neg(ones({2}, DType::b8)), DTypeError);
    CHECK_THROWS_AS(pow(i, -1), ValueError);
}

TEST_CASE("binary ops: broadcasting, promotion and semantics") {
    for (const char* b : kBackends) {
        CpuBackendGuard g(b);
        CAPTURE(b);
        const Tensor a = from_vector<std::int64_t>({7, -7, 7, -7});
        const Tensor d = from_vector<std::int64_t>({2, 2, -2, -2});
        // Python semantics: floor division and remainder with the divisor's sign.
        CHECK(floor_divide(a, d).to_vector<std::int64_t>() == std::vector<std::int64_t>{3, -4, -4, 3});
        CHECK(remainder(a, d).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 1, -1, -1});
        // True division of integers gives float32.
        const Tensor q = div(a, d);
        CHECK(q.dtype() == DType::f32);
        CHECK(q.to_vector<float>() == std::vector<float>{3.5f, -3.5f, -3.5f, 3.5f});
        CHECK(pow(from_vector<std::int64_t>({2, 3}), from_vector<std::int64_t>({10, 3})).to_vector<std::int64_t>() ==
              std::vector<std::int64_t>{1024, 27});
        const Tensor col = arange(3).view({3, 1});
        const Tensor row = arange(4).view({1, 4});
        const Tensor m = mul(col, row);
        CHECK(m.sizes() == Dims{3, 4});
        CHECK(m.to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 0, 0, 0, 0, 1, 2, 3, 0, 2, 4, 6});
        const Tensor c = lt(col, row);
        CHECK(c.dtype() == DType::b8);
        CHECK(c.to_vector<bool>() ==
              std::vector<bool>{false, true, true, true, false, false, true, true, false, false, false, true});
        CHECK(logical_xor(from_vector<bool>({true, true, false}), from_vector<bool>({true, false, false}))
                  .to_vector<bool>() == std::vector<bool>{false, true, false});
    }
}

TEST_CASE("type promotion follows PyTorch's result_type") {
    const Tensor i32 = ones({2}, DType::i32), i64 = ones({2}, DType::i64), f32 = ones({2}), f64 = ones({2}, DType::f64);
    const Tensor b = ones({2}, DType::b8);
    CHECK(add(i32, i64).dtype() == DType::i64);
    CHECK(add(i64, f32).dtype() == DType::f32);
    CHECK(add(f32, f64).dtype() == DType::f64);
    CHECK(add(b, i32).dtype() == DType::i32);
    CHECK(add(b, b).dtype() == DType::b8);
    // Scalars do not promote within a category...
    CHECK(add(i32, 5).dtype() == DType::i32);
    CHECK(add(f32, 2.5).dtype() == DType::f32);
    // ...but a float scalar makes an integer tensor float32.
    CHECK(add(i64, 2.5).dtype() == DType::f32);
    CHECK(add(i64, 2.5).to_vector<float>() == std::vector<float>{3.5f, 3.5f});
    // 0-dim tensors rank below dimensioned ones in the same category.
    CHECK(add(f32, scalar_tensor(1.0, DType::f64)).dtype() == DType::f32);
    CHECK(add(i32, scalar_tensor(1.0, DType::f64)).dtype() == DType::f64);
    CHECK(add(scalar_tensor(1, DType::i32), scalar_tensor(1.0, DType::f64)).dtype() == DType::f64);
}

TEST_CASE("in-place ops write through views and check dtype and shape") {
    Tensor x = zeros({2, 3});
    Tensor col = x.select(1, 2);
    col.add_(from_vector<float>({1.0f, 2.0f}));
    CHECK(x.to_vector<float>() == std::vector<float>{0, 0, 1, 0, 0, 2});
    x.mul_(2.0).sub_(1.0);
    CHECK(x.to_vector<float>() == std::vector<float>{-1, -1, 1, -1, -1, 3});
    Tensor i = zeros({2}, DType::i64);
    CHECK_THROWS_AS(i.add_(ones({2})), DTypeError);  // float result into an int tensor
    CHECK_THROWS_AS(x.add_(ones({4, 2, 3})), ShapeError);  // result larger than self
    Tensor m = arange(6).view({2, 3});
    m.masked_fill_(gt(m, 3), -1);
    CHECK(m.to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 1, 2, 3, -1, -1});
    x.zero_();
    CHECK(x.to_vector<float>() == std::vector<float>(6, 0.0f));
}

TEST_CASE("where and masked_fill broadcast and check the mask") {
    const Tensor cond = from_vector<bool>({true, false, true});
    const Tensor w = where(cond, ones({2, 3}), 0.0);
    CHECK(w.to_vector<float>() == std::vector<float>{1, 0, 1, 1, 0, 1});
    CHECK_THROWS_AS(where(ones({3}), ones({3}), ones({3})), DTypeError);
    CHECK_THROWS_AS(masked_fill(ones({3}), ones({2, 3}, DType::b8), 0.0), ShapeError);
}

TEST_CASE("error messages name the op and the shapes") {
    try {
        (void)mul(ones({2, 3}), ones({4, 3}));
        FAIL("expected a ShapeError");
    } catch (const ShapeError& e) {
        const std::string msg = e.what();
        CHECK(msg.find("mul") != std::string::npos);
        CHECK(msg.find("[2, 3]") != std::string::npos);
        CHECK(msg.find("[4, 3]") != std::string::npos);
    }
    CHECK_THROWS_AS(ones({2}).to(Device::cuda(0)), DeviceError);
    CHECK_THROWS_AS(sub(ones({2}, DType::b8), ones({2}, DType::b8)), DTypeError);
    CHECK_THROWS_AS(gelu(ones({2}), "fast"), ValueError);
    CHECK_THROWS_AS((void)Tensor().dim(), ValueError);
    CHECK_THROWS_AS(ones({2, 2}).item<float>(), ValueError);
    CHECK_THROWS_AS(ones({2}).data_ptr<double>(), DTypeError);
}

TEST_CASE("allclose and equal") {
    const Tensor a = from_vector<float>({1.0f, 2.0f});
    CHECK(allclose(a, add(a, 1e-7)));
    CHECK_FALSE(allclose(a, add(a, 1e-3)));
    CHECK(equal(a, a.clone()));
    CHECK_FALSE(equal(a, ones({2})));
}

TEST_CASE("a floating Scalar's integer value is defined for NaN, infinities and huge values") {
    // The plain cast is undefined behaviour there (clang's UBSan stops on it); every -inf mask fill makes one.
    constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
    CHECK(Scalar(std::nan("")).to_int() == kMin);
    CHECK(Scalar(-INFINITY).to_int() == kMin);
    CHECK(Scalar(INFINITY).to_int() == kMin);
    CHECK(Scalar(1e300).to_int() == kMin);
    CHECK(Scalar(9223372036854775807.0).to_int() == kMin);  // rounds to 2^63: out of range
    CHECK(Scalar(-9223372036854775808.0).to_int() == kMin);  // -2^63: in range, exactly the minimum
    CHECK(Scalar(-2.7).to_int() == -2);
    CHECK(Scalar(2.7).to<std::int32_t>() == 2);
    CHECK(Scalar(255.9).to<std::uint8_t>() == 255);
    CHECK(Scalar(256.0).to<std::uint8_t>() == 0);
    CHECK(Scalar(-INFINITY).to_double() == -INFINITY);
    // Number classes keep the floating path: a NaN fill of a bf16 tensor stays NaN, not T's minimum.
    CHECK(std::isnan(static_cast<float>(Scalar(std::nan("")).to<bfloat16>())));
    CHECK(static_cast<float>(Scalar(-2.5).to<bfloat16>()) == -2.5f);
    // An op taking such a Scalar keeps its floating value: -inf into a float tensor.
    CHECK(full({2}, -INFINITY).data_ptr<float>()[1] == -INFINITY);
}
