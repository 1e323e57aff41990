// The fused attention (peso::fused_attention, taken by
// nn::functional::scaled_dot_product_attention when there is no attn_mask)
// against the composite it replaces (matmul, mask, softmax, dropout, matmul):
// values and all three gradients, on the cpu and reference backends, in
// float32 and float64; causal and not; T = 1, T != S, T not a multiple of the
// tile; broadcast leading dims; dropout with the same generator state drops
// the same weights; the generator advances alike; the same bits on any number
// of threads; calls with a mask still take the composite.
#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>
#include <set>
#include <string>

#include "autograd/op_registry.h"
#include "nn/scaled_dot_product_attention.h"
#include "peso.h"

using namespace peso;
namespace F = peso::nn::functional;

namespace {

struct Outputs {
    Tensor out, dq, dk, dv;
};

// Attention of fresh leaves and its gradients for the upstream gradient g,
// fused or composite.
Outputs run(bool fused, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& g, bool causal,
            double dropout = 0.0, std::uint64_t seed = 0) {
    F::set_fused_attention_enabled(fused);
    const Tensor lq = q.detach().requires_grad_(), lk = k.detach().requires_grad_(), lv = v.detach().requires_grad_();
    Generator gen(seed);
    const Tensor out = F::scaled_dot_product_attention(lq, lk, lv, {}, dropout, causal, {}, &gen);
    F::set_fused_attention_enabled(true);
    sum(mul(out, g)).backward();
    return {out.detach(), lq.grad(), lk.grad(), lv.grad()};
}

void check_close(const Outputs& a, const Outputs& b, double rtol, double atol) {
    const std::pair<const char*, std::pair<Tensor, Tensor>> pairs[] = {
        {"out", {a.out, b.out}}, {"dq", {a.dq, b.dq}}, {"dk", {a.dk, b.dk}}, {"dv", {a.dv, b.dv}}};
    for (const auto& pair : pairs) {
        const char* const name = pair.first;
        const auto& t = pair.second;
        CAPTURE(name);
        REQUIRE(t.first.sizes() == t.second.sizes());
        const double diff = amax(abs(sub(t.first.to(DType::f64), t.second.to(DType::f64)))).item<double>();
        CAPTURE(diff);
        CHECK(allclose(t.first, t.second, rtol, atol));
    }
}

struct QkvShape {
    Dims q, k, v;
};

}  // namespace

TEST_CASE("fused attention matches the composite: values and gradients, every backend, dtype and shape") {
    const QkvShape shapes[] = {
        {{2, 3, 67, 16}, {2, 3, 67, 16}, {2, 3, 67, 16}},  // T = S, not a multiple of the 64-row tile
        {{1, 2, 1, 8}, {1, 2, 1, 8}, {1, 2, 1, 8}},        // T = S = 1
        {{2, 5, 12}, {2, 70, 12}, {2, 70, 20}},            // T < S, 3-D, Ev != E
        {{1, 1, 80, 8}, {1, 1, 20, 8}, {1, 1, 20, 8}},     // T > S
        {{2, 3, 33, 5}, {1, 3, 40, 5}, {2, 1, 40, 7}},     // broadcast leading dims
        {{130, 64}, {130, 64}, {130, 64}},                 // unbatched, two query tiles
    };
    for (const char* backend : {"cpu", "reference"}) {
        CpuBackendGuard guard(backend);
        for (DType t : {DType::f32, DType::f64}) {
            Generator gen(11);
            for (const QkvShape& s : shapes)
                for (bool causal : {false, true}) {
                    CAPTURE(backend);
                    CAPTURE(t);
                    CAPTURE(s.q);
                    CAPTURE(causal);
                    const TensorOptions o(t);
                    const Tensor q = randn(s.q, o, &gen), k = randn(s.k, o, &gen), v = randn(s.v, o, &gen);
                    const Tensor g = randn(fused_attention(q, k, v, causal, 1.0).sizes(), o, &gen);
                    const double tol = t == DType::f32 ? 2e-5 : 1e-11;
                    check_close(run(true, q, k, v, g, causal), run(false, q, k, v, g, causal), tol, tol);
                }
        }
    }
}

TEST_CASE("fused attention with dropout drops the weights the composite drops, for the same generator state") {
    Generator gen(3);
    for (DType t : {DType::f32, DType::f64}) {
        const TensorOptions o(t);
        const Tensor q = randn({2, 2, 70, 16}, o, &gen), k = randn({2, 2, 70, 16}, o, &gen),
                     v = randn({2, 2, 70, 16}, o, &gen), g = randn({2, 2, 70, 16}, o, &gen);
        for (bool causal : {false, true}) {
            CAPTURE(t);
            CAPTURE(causal);
            const Outputs fused = run(true, q, k, v, g, causal, 0.3, 77);
            const double tol = t == DType::f32 ? 2e-5 : 1e-11;
            check_close(fused, run(false, q, k, v, g, causal, 0.3, 77), tol, tol);
            // Reproducible for a seed, different for another.
            CHECK(equal(fused.out, run(true, q, k, v, g, causal, 0.3, 77).out));
            CHECK_FALSE(allclose(fused.out, run(true, q, k, v, g, causal, 0.3, 78).out, 1e-3, 1e-3));
            // Without dropout the output differs (some weights were dropped).
            CHECK_FALSE(allclose(fused.out, run(true, q, k, v, g, causal).out, 1e-3, 1e-3));
        }
    }
    // Both paths reserve one counter per weight from the generator.
    const Tensor q = randn({2, 3, 5, 4}), k = randn({2, 3, 6, 4}), v = randn({2, 3, 6, 4});
    Generator a(1), b(1);
    F::scaled_dot_product_attention(q, k, v, {}, 0.5, false, {}, &a);
    F::set_fused_attention_enabled(false);
    F::scaled_dot_product_attention(q, k, v, {}, 0.5, false, {}, &b);
    F::set_fused_attention_enabled(true);
    CHECK(a.offset() == 2 * 3 * 5 * 6);
    CHECK(b.offset() == a.offset());
    // p = 1 drops everything (and draws nothing), as nn's dropout.
    Generator c(1);
    CHECK(equal(F::scaled_dot_product_attention(q, k, v, {}, 1.0, true, {}, &c), zeros({2, 3, 5, 4})));
    CHECK(c.offset() == 0);
}

TEST_CASE("fused attention gives the same bits on one thread and on several") {
    Generator gen(5);
    const Tensor q = randn({1, 3, 200, 32}, {}, &gen), k = randn({1, 3, 200, 32}, {}, &gen),
                 v = randn({1, 3, 200, 32}, {}, &gen), g = randn({1, 3, 200, 32}, {}, &gen);
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const Outputs one = run(true, q, k, v, g, true, 0.1, 9);
    omp_set_num_threads(3);
    const Outputs three = run(true, q, k, v, g, true, 0.1, 9);
    omp_set_num_threads(threads);
    CHECK(equal(one.out, three.out));
    CHECK(equal(one.dq, three.dq));
    CHECK(equal(one.dk, three.dk));
    CHECK(equal(one.dv, three.dv));
}

TEST_CASE("scaled_dot_product_attention takes the fused op without a mask and the composite with one") {
    const Tensor q = randn({2, 4, 3}).requires_grad_(), k = randn({2, 4, 3}), v = randn({2, 4, 3});
    {
        autograd::RecordedOps recorded;
        F::scaled_dot_product_attention(q, k, v, {}, 0.0, true);
        CHECK(recorded.names() == std::set<std::string, std::less<>>{"fused_attention"});
    }
    {
        autograd::RecordedOps recorded;
        F::scaled_dot_product_attention(q, k, v, ones({4, 4}, DType::b8), 0.0, true);
        CHECK(recorded.names().count("fused_attention") == 0);
        CHECK(recorded.names().count("softmax") == 1);
    }
}

TEST_CASE("fused attention: errors name the op and the shapes") {
    CHECK_THROWS_AS(fused_attention(randn({2, 3, 4}), randn({2, 3, 5}), randn({2, 3, 4}), true, 1.0), ShapeError);
    CHECK_THROWS_AS(fused_attention(randn({2, 3, 4}), randn({2, 0, 4}), randn({2, 0, 4}), true, 1.0), ShapeError);
    CHECK_THROWS_AS(fused_attention(randn({2, 3, 4}), randn({2, 3, 4}).to(DType::f64), randn({2, 3, 4}), true, 1.0),
                    DTypeError);
    CHECK_THROWS_AS(fused_attention(randn({2, 3, 4}), randn({2, 3, 4}), randn({2, 3, 4}), true, 1.0, 1.5), ValueError);
    try {
        fused_attention(randn({2, 3, 4}), randn({2, 3, 5}), randn({2, 3, 4}), true, 1.0);
    } catch (const ShapeError& e) {
        CHECK(std::string(e.what()).find("attention") != std::string::npos);
        CHECK(std::string(e.what()).find("[2, 3, 5]") != std::string::npos);
    }
}
