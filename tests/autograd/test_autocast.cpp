// peso::autocast: matrix products in bf16 with float32 results, the rest of
// the graph and every gradient of a float32 tensor in float32.
#include <doctest/doctest.h>

#include <thread>

#include "nn/layer_norm.h"
#include "nn/linear.h"
#include "autograd/autocast.h"
#include "peso.h"

using namespace peso;

namespace {

Tensor rounded(const Tensor& t) { return t.to(DType::bf16).to(DType::f32); }

}  // namespace

TEST_CASE("autocast: the scope is per thread, nests, and restores") {
    CHECK_FALSE(autocast_dtype().has_value());
    {
        autocast outer(DType::bf16);
        CHECK(autocast_dtype() == DType::bf16);
        {
            autocast off(DType::bf16, /*enabled=*/false);
            CHECK_FALSE(autocast_dtype().has_value());
        }
        CHECK(autocast_dtype() == DType::bf16);
        bool other_thread_sees = true;
        std::thread([&] { other_thread_sees = autocast_dtype().has_value(); }).join();
        CHECK_FALSE(other_thread_sees);
    }
    CHECK_FALSE(autocast_dtype().has_value());
    CHECK_THROWS_AS(autocast{DType::f16}, DTypeError);  // braces: not a declaration named DType::f16
}

TEST_CASE("autocast: matmul rounds its operands to bf16 and returns float32") {
    // 1 + 2^-10 is not a bf16 number: rounded it is 1, so the product shows which precision ran.
    const Tensor a = tensor({1.0009765625f, 2.0f}).reshape({1, 2}), b = tensor({1.0f, 0.0f}).reshape({2, 1});
    CHECK(matmul(a, b).item<float>() == 1.0009765625f);
    autocast guard(DType::bf16);
    const Tensor c = matmul(a, b);
    CHECK(c.dtype() == DType::f32);
    CHECK(c.item<float>() == 1.0f);
    Generator gen(3);
    const Tensor x = randn({4, 5, 33}, {}, &gen), w = randn({33, 17}, {}, &gen);
    const Tensor expect = matmul(rounded(x).to(DType::f64), rounded(w).to(DType::f64)).to(DType::f32);
    CHECK(allclose(matmul(x, w), expect, 1e-5, 1e-5));
    CHECK(allclose(bmm(x, expand(w, {4, 33, 17})), expect, 1e-5, 1e-5));
    // Outside matrix products nothing changes: layer_norm and softmax run in float32 on float32.
    const Tensor y = nn::functional::layer_norm(x, {33});
    CHECK(y.dtype() == DType::f32);
    CHECK(softmax(x, -1).dtype() == DType::f32);
}

TEST_CASE("autocast: float32 parameters get float32 gradients from bf16 products") {
    Generator gen(5);
    const Tensor x = randn({3, 4, 24}, {}, &gen).requires_grad_();
    const Tensor w = randn({10, 24}, {}, &gen).requires_grad_();  // nn.Linear layout (out, in)
    const Tensor bias = randn({10}, {}, &gen).requires_grad_();
    const Tensor g = randn({3, 4, 10}, {}, &gen);
    {
        autocast guard(DType::bf16);
        const Tensor y = nn::functional::linear(x, w, bias);
        CHECK(y.dtype() == DType::f32);
        sum(mul(y, g)).backward();
    }
    REQUIRE(x.grad().defined());
    REQUIRE(w.grad().defined());
    CHECK(x.grad().dtype() == DType::f32);
    CHECK(w.grad().dtype() == DType::f32);
    CHECK(bias.grad().dtype() == DType::f32);
    // The backward products also run on bf16 operands: g and the saved x, w rounded.
    const Tensor gx = matmul(rounded(g).to(DType::f64), rounded(w).to(DType::f64)).to(DType::f32);
    const Tensor gw = matmul(rounded(g).reshape({12, 10}).t().to(DType::f64), rounded(x.detach()).reshape({12, 24}).to(DType::f64))
                          .to(DType::f32);
    CHECK(allclose(x.grad(), gx, 1e-5, 1e-5));
    CHECK(allclose(w.grad(), gw, 1e-5, 1e-5));
    CHECK(allclose(bias.grad(), sum(g, {0, 1}), 1e-6, 1e-6));  // the bias add stayed float32
    // ...and they differ from the float32 gradients by about bf16's precision, not more.
    const Tensor exact = matmul(g.to(DType::f64), w.detach().to(DType::f64)).to(DType::f32);
    CHECK_FALSE(allclose(x.grad(), exact, 1e-6, 1e-6));
    CHECK(allclose(x.grad(), exact, 2e-2, 2e-2));
}
