// The autograd engine's semantics: what users rely on beyond single-op gradients.
#include <doctest/doctest.h>

#include <cmath>

#include "peso.h"

using namespace peso;

namespace {
Tensor leaf(std::vector<double> v, Dims shape) {
    Tensor t = from_vector<double>(v, shape);
    t.requires_grad_(true);
    return t;
}
std::vector<double> vals(const Tensor& t) { return t.to_vector<double>(); }
// Dropout drawn from the default generator, as nn's dropout layers do.
Tensor functional_dropout_for_test(const Tensor& t) {
    const Tensor keep = lt(rand(t.sizes(), DType::f64), 0.7).to(DType::f64);
    return mul(t, div(keep, 0.7));
}
}  // namespace

TEST_CASE("gradients of a small expression, accumulated over two backward calls") {
    Tensor x = leaf({1, 2, 3}, {3});
    Tensor w = leaf({0.5}, {1});
    Tensor y = sum(mul(x, w) + exp(x));  // dy/dx = w + e^x, dy/dw = sum(x)
    CHECK(y.requires_grad());
    CHECK_FALSE(y.is_leaf());
    CHECK(x.is_leaf());
    y.backward();
    CHECK(vals(x.grad())[0] == doctest::Approx(0.5 + std::exp(1.0)));
    CHECK(vals(w.grad())[0] == doctest::Approx(6.0));
    Tensor y2 = sum(mul(x, w));
    y2.backward();
    CHECK(vals(w.grad())[0] == doctest::Approx(12.0));  // accumulated
    x.set_grad(Tensor());
    CHECK_FALSE(x.grad().defined());
}

TEST_CASE("ops record only in grad mode and only when an input requires grad") {
    Tensor x = leaf({1, 2}, {2});
    Tensor c = from_vector<double>({3, 4});
    CHECK_FALSE(mul(c, c).requires_grad());
    {
        NoGradGuard guard;
        Tensor y = mul(x, x);
        CHECK_FALSE(y.requires_grad());
        {
            EnableGradGuard enable;
            CHECK(mul(x, x).requires_grad());
        }
    }
    CHECK_FALSE(x.detach().requires_grad());
    CHECK(x.detach().shares_storage(x));
    CHECK_THROWS_AS(arange(3).requires_grad_(), DTypeError);
    CHECK_THROWS_AS(mul(c, c).backward(), Error);
    CHECK_THROWS_AS(mul(x, x).backward(), ValueError);  // non-scalar without a gradient
}

TEST_CASE("a freed graph cannot be run twice unless retain_graph") {
    Tensor x = leaf({0.5, 1.5}, {2});
    Tensor y = sum(exp(x));
    y.backward();
    CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("second time"), Error);
    Tensor z = sum(exp(x));
    z.backward({}, /*retain_graph=*/true);
    z.backward();
    CHECK(vals(x.grad())[0] == doctest::Approx(std::exp(0.5) * 3));
}

TEST_CASE("autograd::grad returns gradients without touching .grad, with allow_unused") {
    Tensor x = leaf({2.0}, {1});
    Tensor u = leaf({1.0}, {1});
    Tensor y = mul(mul(x, x), x);  // x^3
    auto g = autograd::grad({y}, {x, u}, {}, std::nullopt, false, true);
    CHECK(vals(g[0])[0] == doctest::Approx(12.0));
    CHECK_FALSE(g[1].defined());
    CHECK_FALSE(x.grad().defined());
    Tensor y2 = mul(x, x);
    CHECK_THROWS_AS(autograd::grad({y2}, {u}), Error);
}

TEST_CASE("create_graph: second derivatives and a Hessian-vector product of an MLP") {
    Tensor x = leaf({1.5}, {1});
    Tensor y = mul(sin(x), x);  // y' = cos x * x + sin x, y'' = -sin x * x + 2 cos x
    auto g = autograd::grad({y}, {x}, {}, std::nullopt, /*create_graph=*/true);
    CHECK(g[0].requires_grad());
    auto gg = autograd::grad({g[0]}, {x});
    CHECK(vals(gg[0])[0] == doctest::Approx(-std::sin(1.5) * 1.5 + 2 * std::cos(1.5)).epsilon(1e-12));

    // HVP: H v for loss(w) = sum(tanh(X W1) W2)^2, compared with finite differences of the gradient.
    Generator gen(11);
    const Tensor X = randn({4, 3}, DType::f64, &gen);
    Tensor W1 = randn({3, 5}, DType::f64, &gen);
    Tensor W2 = randn({5, 1}, DType::f64, &gen);
    const Tensor v = randn({3, 5}, DType::f64, &gen);
    W1.requires_grad_(true);
    auto loss_of = [&](const Tensor& w1) { return sum(pow(matmul(tanh(matmul(X, w1)), W2), 2)); };
    auto grad_of = [&](const Tensor& w1) {
        Tensor w = w1.detach();
        w.requires_grad_(true);
        return autograd::grad({loss_of(w)}, {w})[0];
    };
    Tensor gw = autograd::grad({loss_of(W1)}, {W1}, {}, std::nullopt, true)[0];
    Tensor hv = autograd::grad({sum(mul(gw, v))}, {W1})[0];
    const double eps = 1e-6;
    Tensor fd = div(sub(grad_of(add(W1.detach(), mul(v, eps))), grad_of(sub(W1.detach(), mul(v, eps)))), 2 * eps);
    CHECK(allclose(hv, fd, 1e-6, 1e-7));
}

TEST_CASE("tensor hooks observe and replace gradients; post-accumulate hooks run") {
    Tensor x = leaf({1, 2}, {2});
    Tensor y = mul(x, 3.0);
    std::vector<double> seen;
    y.register_hook([&](const Tensor& g) {
        seen = vals(g);
        return Tensor();
    });
    x.register_hook([](const Tensor& g) { return mul(g, 10.0); });
    int calls = 0;
    x.register_post_accumulate_grad_hook([&](Tensor& t) {
        ++calls;
        CHECK(t.grad().defined());
    });
    sum(y).backward();
    CHECK(seen == std::vector<double>{1, 1});
    CHECK(vals(x.grad()) == std::vector<double>{30, 30});
    CHECK(calls == 1);
    Tensor z = mul(x, 2.0);
    z.retain_grad();
    sum(mul(z, z)).backward();
    CHECK(vals(z.grad()) == std::vector<double>{4, 8});
}

TEST_CASE("modifying a saved tensor in place is reported at backward, naming the op") {
    Tensor x = leaf({1, 2}, {2});
    Tensor a = mul(x, 1.0);
    Tensor y = exp(a);    // saves its output y
    Tensor z = sum(mul(y, y));
    y.add_(1.0);         // y is modified after being saved
    CHECK_THROWS_WITH_AS(z.backward(), doctest::Contains("modified by an in-place operation"), Error);
    Tensor b = mul(x, 1.0);
    Tensor w = sum(exp(b));
    try {
        b.mul_(2.0);  // b is an input exp does not save: still fine
        Tensor c = from_vector<double>({1, 1});
        Tensor p = mul(x, c);
        c.add_(1.0);  // c was saved by mul (for x's gradient)
        CHECK_THROWS_WITH_AS(sum(p).backward(), doctest::Contains("'mul'"), Error);
    } catch (...) {
        FAIL("unexpected throw");
    }
    w.backward();
}

TEST_CASE("in-place on a leaf that requires grad is refused while recording") {
    Tensor x = leaf({1, 2}, {2});
    CHECK_THROWS_WITH_AS(x.add_(1.0), doctest::Contains("leaf"), Error);
    CHECK_THROWS_AS(x.narrow(0, 0, 1).mul_(2.0), Error);
    {
        NoGradGuard g;
        x.add_(1.0);  // optimizer-style update
    }
    CHECK(vals(x) == std::vector<double>{2, 3});
}

TEST_CASE("in-place ops on non-leaf tensors and on views are differentiable") {
    Tensor x = leaf({1, 2, 3}, {3});
    Tensor y = mul(x, 2.0);
    y.mul_(mul(x, 2.0));             // y = (2x)^2
    y.narrow(0, 1, 2).add_(x.narrow(0, 0, 2));  // y[1:] += x[:2]
    sum(y).backward();
    // d/dx0: 8 x0 + 1, d/dx1: 8 x1 + 1, d/dx2: 8 x2
    CHECK(vals(x.grad()) == std::vector<double>{9, 17, 24});
}

TEST_CASE("slice assignment into a preallocated tensor routes gradients to each slice") {
    Tensor a = leaf({1, 2}, {2});
    Tensor b = leaf({3, 4}, {2});
    Tensor out = zeros({2, 2}, DType::f64);
    out.select(0, 0).copy_(mul(a, a));
    out.select(0, 1).copy_(mul(b, 3.0));
    CHECK(out.requires_grad());
    Tensor loss = sum(mul(out, from_vector<double>({1, 10, 100, 1000}, Dims{2, 2})));
    loss.backward();
    CHECK(vals(a.grad()) == std::vector<double>{2, 40});
    CHECK(vals(b.grad()) == std::vector<double>{300, 3000});
    // Overwriting a slice cuts the gradient to what was there before.
    Tensor c = leaf({5, 6}, {2});
    Tensor buf = mul(c, 1.0);
    buf.narrow(0, 0, 1).fill_(0.0);
    sum(buf).backward();
    CHECK(vals(c.grad()) == std::vector<double>{0, 1});
}

TEST_CASE("a 100,000-node chain runs backward and is freed without recursion") {
    Tensor x = leaf({1.0}, {1});
    Tensor y = x;
    for (int i = 0; i < 100000; ++i) y = mul(y, 1.00001);
    y.backward();
    CHECK(vals(x.grad())[0] == doctest::Approx(std::pow(1.00001, 100000)).epsilon(1e-9));
    y = Tensor();  // the chain is destroyed here
}

TEST_CASE("anomaly mode names the forward op whose backward produced NaN or Inf") {
    Tensor x = leaf({0.0, 1.0}, {2});
    {
        DetectAnomalyGuard anomaly;
        Tensor y = sum(sqrt(x));  // d sqrt / dx at 0 is inf
        CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("'sqrt'"), Error);
    }
    Tensor y = sum(sqrt(x));
    y.backward();  // without anomaly mode: inf, no error
    CHECK(std::isinf(vals(x.grad())[0]));
}

TEST_CASE("checkpoint gives the same gradients while saving only its inputs") {
    Generator gen(3);
    Tensor x = randn({4, 3}, DType::f64, &gen);
    Tensor w = randn({3, 3}, DType::f64, &gen);
    x.requires_grad_(true);
    w.requires_grad_(true);
    auto block = [](const std::vector<Tensor>& in) -> std::vector<Tensor> {
        return {tanh(matmul(tanh(matmul(in[0], in[1])), in[1]))};
    };
    sum(block({x, w})[0]).backward();
    const Tensor gx = x.grad().clone(), gw = w.grad().clone();
    x.set_grad({});
    w.set_grad({});
    Tensor out = autograd::checkpoint(block, {x, w})[0];
    CHECK(out.requires_grad());
    sum(out).backward();
    CHECK(allclose(x.grad(), gx, 1e-12, 1e-14));
    CHECK(allclose(w.grad(), gw, 1e-12, 1e-14));
}

TEST_CASE("checkpoint: captured weights get gradients, and the output needs grad when only they do") {
    Generator gen(5);
    Tensor w = randn({3, 3}, DType::f64, &gen).requires_grad_(true);
    Tensor x = randn({2, 3}, DType::f64, &gen).requires_grad_(true);
    const auto fn = [&w](const std::vector<Tensor>& in) { return std::vector<Tensor>{tanh(matmul(in[0], w))}; };
    sum(fn({x})[0]).backward();
    const Tensor gx = x.grad().clone(), gw = w.grad().clone();
    x.set_grad({});
    w.set_grad({});
    sum(autograd::checkpoint(fn, {x})[0]).backward();
    REQUIRE(w.grad().defined());
    CHECK(allclose(w.grad(), gw, 1e-14, 1e-14));
    CHECK(allclose(x.grad(), gx, 1e-14, 1e-14));

    w.set_grad({});
    const Tensor c = randn({2, 3}, DType::f64, &gen);  // no input requires grad
    const Tensor out = autograd::checkpoint(fn, {c})[0];
    CHECK(out.requires_grad());
    const Tensor g = autograd::grad({sum(out)}, {w})[0];
    CHECK(allclose(g, autograd::grad({sum(fn({c})[0])}, {w})[0], 1e-14, 1e-14));
    CHECK_FALSE(w.grad().defined());  // grad() leaves .grad alone
}

TEST_CASE("checkpoint: second derivatives, nesting, dropout, and a root used twice") {
    Generator gen(6);
    Tensor w = randn({3, 3}, DType::f64, &gen).requires_grad_(true);
    Tensor x = randn({4, 3}, DType::f64, &gen).requires_grad_(true);
    const auto inner = [&w](const std::vector<Tensor>& in) {
        return std::vector<Tensor>{sigmoid(matmul(in[0], w))};
    };
    const auto block = [&](const std::vector<Tensor>& in) {
        const Tensor h = tanh(matmul(in[0], w));
        const Tensor d = functional_dropout_for_test(h);
        return std::vector<Tensor>{autograd::checkpoint(inner, {d})[0] * in[0]};
    };
    const auto nested = [&](const std::vector<Tensor>& in) { return autograd::checkpoint(block, in); };
    // Second derivatives through the recomputation equal those without it.
    const auto hessian_vector = [&](const std::function<std::vector<Tensor>(const std::vector<Tensor>&)>& f) {
        manual_seed(9);
        const Tensor y = sum(mul(f({x})[0], f({x})[0]));
        const auto g = autograd::grad({y}, {x, w}, {}, true, true);
        return autograd::grad({sum(mul(g[0], g[0])) + sum(g[1])}, {x, w});
    };
    const auto plain = hessian_vector(block);
    const auto ckpt = hessian_vector(nested);
    CHECK(allclose(ckpt[0], plain[0], 1e-12, 1e-12));
    CHECK(allclose(ckpt[1], plain[1], 1e-12, 1e-12));

    // One checkpointed output given twice as a root.
    manual_seed(10);
    const Tensor out = nested({x})[0];
    autograd::backward({out, out}, {ones_like(out), ones_like(out)});
    const Tensor twice = x.grad().clone();
    x.set_grad({});
    w.set_grad({});
    manual_seed(10);
    sum(mul(block({x})[0], 2.0)).backward();
    CHECK(allclose(twice, x.grad(), 1e-12, 1e-12));
}

TEST_CASE("checkpoint: a function that saves other tensors when run again is an error") {
    Tensor x = from_vector<double>({1, 2}).requires_grad_(true);
    int calls = 0;
    const auto fickle = [&calls](const std::vector<Tensor>& in) {
        ++calls;
        return std::vector<Tensor>{calls == 1 ? mul(in[0], in[0]) : add(in[0], 1.0)};
    };
    const Tensor y = sum(autograd::checkpoint(fickle, {x})[0]);
    CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("checkpoint"), Error);
}

TEST_CASE("no memory growth over 1,000 training steps of a small model") {
    Generator gen(5);
    Tensor w1 = mul(randn({8, 16}, {}, &gen), 0.3);
    Tensor w2 = mul(randn({16, 1}, {}, &gen), 0.3);
    w1.requires_grad_(true);
    w2.requires_grad_(true);
    const Tensor x = randn({32, 8}, {}, &gen);
    const Tensor target = sum(x, {1}, true);
    auto& alloc = backend_for(Device::cpu()).allocator();
    std::int64_t live_after_warmup = 0;
    float first = 0, last = 0;
    for (int step = 0; step < 1000; ++step) {
        Tensor pred = matmul(relu(matmul(x, w1)), w2);
        Tensor loss = mean(pow(sub(pred, target), 2));
        loss.backward();
        {
            NoGradGuard g;
            w1.sub_(mul(w1.grad(), 0.01));
            w2.sub_(mul(w2.grad(), 0.01));
            w1.grad().zero_();
            w2.grad().zero_();
        }
        if (step == 0) first = loss.item<float>();
        if (step == 999) last = loss.item<float>();
        if (step == 10) live_after_warmup = alloc.stats().live_blocks;
    }
    CHECK(alloc.stats().live_blocks <= live_after_warmup);
    CHECK(last < first * 0.5f);
}

TEST_CASE("a weight tied between a lookup and a head gets both gradients summed in one buffer") {
    // As a GPT's token embedding and LM head: the head's gradient reaches the
    // weight first, and the lookup adds its rows into that buffer (lent by the
    // engine) instead of making a (vocab, C) one of its own. Checked against
    // the two contributions computed apart, and against create_graph, where
    // nothing is lent.
    manual_seed(3);
    const Tensor w0 = randn({7, 4}, TensorOptions(DType::f64));
    const Tensor ids = from_vector<std::int64_t>({1, 3, 3, 6, 0, 1}, Dims{2, 3});
    const Tensor probe = randn({2, 3, 7}, TensorOptions(DType::f64));
    const auto loss = [&](const Tensor& emb_w, const Tensor& head_w) {
        const Tensor h = tanh(embedding(emb_w, ids));        // (2, 3, 4)
        return sum(mul(matmul(h, head_w.t()), probe));        // the head: (2, 3, 7)
    };
    Tensor tied = w0.clone().requires_grad_(true);
    loss(tied, tied).backward();
    Tensor a = w0.clone().requires_grad_(true), b = w0.clone().requires_grad_(true);
    loss(a, b).backward();
    const Tensor want = add(a.grad(), b.grad());
    CHECK(tied.grad().is_contiguous());
    CHECK(allclose(tied.grad(), want, 1e-12, 1e-12));
    Tensor g2 = w0.clone().requires_grad_(true);
    const auto gs = autograd::grad({loss(g2, g2)}, {g2}, {}, /*retain_graph=*/true, /*create_graph=*/true);
    CHECK(allclose(gs[0], want, 1e-12, 1e-12));
}

TEST_CASE("gradients summed in place never write into a tensor someone else holds") {
    Tensor x = leaf({1, 2, 3}, {3});
    Tensor kept;
    Tensor y = mul(x, 2.0);
    y.register_hook([&](const Tensor& g) { kept = g; return Tensor(); });
    // x receives y's path and a second one; y's gradient is held by the hook's
    // copy, so the sum must not be formed inside it.
    sum(add(y, mul(x, x))).backward();
    CHECK(vals(kept) == std::vector<double>{1, 1, 1});
    CHECK(vals(x.grad()) == std::vector<double>{4, 6, 8});  // 2 + 2x
}

TEST_CASE("queue_callback runs once the backward in progress has accumulated every gradient") {
    Tensor a = leaf({1, 2}, {2});
    Tensor b = leaf({3, 4}, {2});
    std::vector<std::string> events;
    bool queued = false;
    // Queued from the first post-accumulate hook; must run after the other leaf's gradient too.
    auto hook = [&](const char* name) {
        return [&, name](Tensor&) {
            events.emplace_back(name);
            if (!queued) {
                queued = true;
                autograd::queue_callback([&] {
                    events.emplace_back("callback");
                    CHECK(a.grad().defined());
                    CHECK(b.grad().defined());
                });
            }
        };
    };
    a.register_post_accumulate_grad_hook(hook("a"));
    b.register_post_accumulate_grad_hook(hook("b"));
    sum(a * b).backward();
    REQUIRE(events.size() == 3);
    CHECK(events.back() == "callback");
    // Each backward has its own list: nothing is left over for the next one.
    queued = true;
    events.clear();
    sum(a * b).backward();
    CHECK(events.size() == 2);
    CHECK_THROWS_WITH_AS(autograd::queue_callback([] {}), doctest::Contains("no backward() is running"), Error);
}
