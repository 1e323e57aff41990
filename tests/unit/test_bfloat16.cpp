// bfloat16: the rounding (exact bits, both conversion paths alike), storage,
// kernels that compute in float32 and round once, the bf16 matmul, and
// differentiable conversions.
#include <doctest/doctest.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/bfloat16.h"
#include "peso.h"
#include "tensor/mixed_precision.h"

using namespace peso;

namespace {

float f(std::uint32_t bits) { return std::bit_cast<float>(bits); }
std::uint16_t round_bits(std::uint32_t bits) { return bf16_bits_from_float(f(bits)); }

// The bits of every element of a bfloat16 tensor.
std::vector<std::uint16_t> bits_of(const Tensor& t) {
    const Tensor c = t.contiguous();
    std::vector<std::uint16_t> out(static_cast<std::size_t>(c.numel()));
    std::memcpy(out.data(), c.data_ptr(), out.size() * 2);
    return out;
}

// Input patterns: every upper half with lower halves at and around the
// rounding boundaries, and a few others.
std::vector<float> boundary_patterns() {
    std::vector<float> v;
    for (std::uint32_t hi = 0; hi < 0x10000u; ++hi)
        for (const std::uint32_t lo : {0x0000u, 0x0001u, 0x7fffu, 0x8000u, 0x8001u, 0xffffu, 0x1234u, 0xc000u})
            v.push_back(f(hi << 16 | lo));
    return v;
}

}  // namespace

TEST_CASE("bf16 rounding: nearest, ties to even, NaN kept, subnormals to zero (exact bits)") {
    CHECK(round_bits(0x3f800000u) == 0x3f80);  // 1.0
    CHECK(round_bits(0x3f808000u) == 0x3f80);  // 1 + 2^-8: halfway, even neighbour below
    CHECK(round_bits(0x3f818000u) == 0x3f82);  // 1 + 3 * 2^-8: halfway, even neighbour above
    CHECK(round_bits(0x3f808001u) == 0x3f81);  // just above halfway
    CHECK(round_bits(0x3f807fffu) == 0x3f80);  // just below halfway
    CHECK(round_bits(0xbf818000u) == 0xbf82);  // negative: symmetric
    CHECK(round_bits(0x7f7fffffu) == 0x7f80);  // FLT_MAX rounds to infinity
    CHECK(round_bits(0x7f800000u) == 0x7f80);  // +inf
    CHECK(round_bits(0xff800000u) == 0xff80);  // -inf
    CHECK(round_bits(0x7fc00000u) == 0x7fc0);  // quiet NaN
    CHECK(round_bits(0x7f800001u) == 0x7fc0);  // signalling NaN with a low payload: quieted, stays NaN
    CHECK(round_bits(0xffffffffu) == 0xffff);  // NaN never rounds into infinity
    CHECK(round_bits(0x00000001u) == 0x0000);  // float32 subnormal: zero
    CHECK(round_bits(0x807fffffu) == 0x8000);  // largest negative subnormal: -0
    CHECK(round_bits(0x00800000u) == 0x0080);  // smallest normal stays
    CHECK(static_cast<float>(bfloat16(3.140625f)) == 3.140625f);  // representable values round-trip
    CHECK(static_cast<float>(bfloat16::from_bits(0x4049)) == 3.140625f);
}

TEST_CASE("bf16 rounding: the AVX-512 BF16 path and the portable path give identical bits") {
    const std::vector<float> in = boundary_patterns();
    std::vector<bfloat16> portable(in.size()), scalar(in.size());
    bf16::round_from_f32_portable(in.data(), portable.data(), in.size());
    for (std::size_t i = 0; i < in.size(); ++i) scalar[i] = bfloat16(in[i]);
    CHECK(std::memcmp(portable.data(), scalar.data(), in.size() * 2) == 0);
    if (!bf16::cpu_has_avx512_bf16()) {
        MESSAGE("this CPU has no AVX-512 BF16: only the portable path is tested");
        CHECK_THROWS_AS(bf16::round_from_f32_avx512(in.data(), scalar.data(), 1), NotImplementedError);
        return;
    }
    // Every length up to 70 (the masked tail), then all patterns at once.
    for (std::size_t n = 0; n <= 70; ++n) {
        std::vector<bfloat16> vec(n + 1, bfloat16::from_bits(0xabcd));
        bf16::round_from_f32_avx512(in.data() + 1000 + n, vec.data(), n);
        for (std::size_t i = 0; i < n; ++i) CHECK(vec[i].bits == portable[1000 + n + i].bits);
        CHECK(vec[n].bits == 0xabcd);  // nothing written past the end
    }
    std::vector<bfloat16> vec(in.size());
    bf16::round_from_f32_avx512(in.data(), vec.data(), in.size());
    std::size_t differ = 0;
    for (std::size_t i = 0; i < in.size(); ++i) differ += vec[i].bits != portable[i].bits;
    CHECK(differ == 0);
}

TEST_CASE("bf16 tensors: to() rounds, widens exactly, and is differentiable") {
    for (const char* backend : {"cpu", "reference"}) {
        CpuBackendGuard guard(backend);
        const Tensor x = tensor({1.0f, 1.00390625f, 1.01171875f, -2.5f, 3.0e38f, 1e-40f});
        const Tensor h = x.to(DType::bf16);
        CHECK(h.dtype() == DType::bf16);
        CHECK(h.nbytes() == 12);
        CHECK(bits_of(h) == std::vector<std::uint16_t>{0x3f80, 0x3f80, 0x3f82, 0xc020, 0x7f62, 0x0000});
        const Tensor back = h.to(DType::f32);
        CHECK(back.data_ptr<float>()[2] == 1.015625f);
        // A transposed (non-contiguous) source converts element by element.
        const Tensor m = arange(0, 64 * 40, 1, DType::f32).reshape({64, 40}) / 7.0;
        CHECK(equal(m.t().to(DType::bf16).to(DType::f32), m.to(DType::bf16).to(DType::f32).t().contiguous()));
    }
    const Tensor x = tensor({0.1f, 0.2f, 0.3f}).requires_grad_();
    const Tensor y = mul(x.to(DType::bf16).to(DType::f32), tensor({1.0f, 2.0f, 3.0f}));
    sum(y).backward();
    REQUIRE(x.grad().defined());
    CHECK(x.grad().dtype() == DType::f32);
    CHECK(equal(x.grad(), tensor({1.0f, 2.0f, 3.0f})));
}

TEST_CASE("bf16 kernels read bf16, compute in float32 and round once when storing") {
    Generator gen(7);
    const Tensor a32 = randn({257}, {}, &gen), b32 = randn({257}, {}, &gen);
    const Tensor a = a32.to(DType::bf16), b = b32.to(DType::bf16);
    const Tensor wa = a.to(DType::f32), wb = b.to(DType::f32);
    for (const char* backend : {"cpu", "reference"}) {
        CpuBackendGuard guard(backend);
        INFO(backend);
        // One float32 operation then one rounding: the same bits as the float32 result rounded.
        CHECK(bits_of(add(a, b)) == bits_of(add(wa, wb).to(DType::bf16)));
        CHECK(bits_of(mul(a, b)) == bits_of(mul(wa, wb).to(DType::bf16)));
        CHECK(bits_of(div(a, b)) == bits_of(div(wa, wb).to(DType::bf16)));
        CHECK(bits_of(maximum(a, b)) == bits_of(maximum(wa, wb).to(DType::bf16)));
        CHECK(equal(lt(a, b), lt(wa, wb)));
        CHECK(bits_of(where(gt(a, 0.0), a, b)) == bits_of(where(gt(wa, 0.0), wa, wb).to(DType::bf16)));
        CHECK(add(a, b).dtype() == DType::bf16);
        // Reductions accumulate wide and round the result once; the float32
        // sum of the same values (double-accumulated) rounded agrees to 1 bf16 ulp.
        const Tensor s = sum(a), s32 = sum(wa).to(DType::bf16).to(DType::f32);
        CHECK(s.dtype() == DType::bf16);
        CHECK(std::abs(s.to(DType::f32).item<float>() - s32.item<float>()) <= std::abs(s32.item<float>()) * 0.0079f);
        CHECK(bits_of(amax(a, {0})) == bits_of(amax(wa, {0}).to(DType::bf16)));  // exact: a max only selects
        // A sum of 4096 ones is exact when accumulated wide (a bf16 accumulator would stop at 256).
        CHECK(sum(ones({4096}, DType::bf16)).to(DType::f32).item<float>() == 4096.0f);
        // softmax and layer_norm (the float32 kernel on widened copies): one rounding of the float32 result.
        const Tensor x = a.reshape({1, 257});
        CHECK(bits_of(softmax(x, -1)) == bits_of(softmax(x.to(DType::f32), -1).to(DType::bf16)));
    }
}

TEST_CASE("bf16 matmul accumulates in float32 (cpu through oneDNN, reference in double)") {
    Generator gen(11);
    const std::vector<std::array<std::int64_t, 3>> shapes = {{1, 5, 7}, {37, 29, 300}, {64, 768, 256}};
    for (const auto& shape : shapes) {
        const std::int64_t m = shape[0], n = shape[1], k = shape[2];
        const Tensor a = randn({m, k}, {}, &gen).to(DType::bf16), b = randn({k, n}, {}, &gen).to(DType::bf16);
        const Tensor exact = matmul(a.to(DType::f64), b.to(DType::f64));  // bf16 products are exact in double
        const Tensor scale = matmul(abs(a.to(DType::f64)), abs(b.to(DType::f64)));
        for (const char* backend : {"cpu", "reference"}) {
            CpuBackendGuard guard(backend);
            INFO(backend, " ", m, "x", n, "x", k);
            // float32 result: float32 accumulation error only (k * 2^-24 of sum |a||b|, far below a bf16 ulp).
            const Tensor c32 = native::matmul_as(a, b, DType::f32);
            CHECK(c32.dtype() == DType::f32);
            const double err32 = amax(div(abs(sub(c32.to(DType::f64), exact)), add(scale, 1e-30))).item<double>();
            CHECK(err32 < 2e-6);
            // bf16 result: one more rounding (relative 2^-8 of the value, plus the above).
            const Tensor c16 = matmul(a, b.t().contiguous().t());  // b transposed in memory: a BLAS flag
            CHECK(c16.dtype() == DType::bf16);
            const Tensor err16 = abs(sub(c16.to(DType::f64), exact));
            CHECK(all(le(err16, add(mul(abs(exact), 1.0 / 256), mul(scale, 2e-6)))).item<bool>());
        }
    }
    CHECK_THROWS_AS(native::matmul_as(ones({2, 2}), ones({2, 2}), DType::bf16), DTypeError);
    CHECK_THROWS_AS(matmul(ones({2, 2}, DType::bf16), ones({2, 2})), DTypeError);  // no silent promotion
}
