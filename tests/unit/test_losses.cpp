// Losses: hand-computed values (ignore_index, label smoothing, class weights,
// reductions, (N, C, d) inputs), numerical stability at extreme logits and
// probabilities, gradients (gradcheck in float64) and errors.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "nn/losses.h"

using namespace peso;
using namespace peso::nn;
namespace F = peso::nn::functional;

namespace {

Tensor f64(std::vector<double> v, Dims shape) { return from_vector<double>(v, shape); }
Tensor i64(std::vector<std::int64_t> v, Dims shape) { return from_vector<std::int64_t>(v, shape); }
std::vector<double> vals(const Tensor& t) { return t.detach().to(DType::f64).contiguous().to_vector<double>(); }
double scalar(const Tensor& t) { return t.detach().to(DType::f64).item<double>(); }

void check_values(const Tensor& t, const std::vector<double>& expected, double tol = 1e-9) {
    const std::vector<double> got = vals(t);
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(expected[i]).epsilon(tol));
}

void check_grads(const autograd::GradcheckFn& fn, const std::vector<Tensor>& inputs) {
    const auto r = autograd::gradcheck(fn, inputs, {1e-6, 1e-6, 1e-4});
    INFO(r.report);
    CHECK(r.ok);
}

// The 2x3 example: logits rows [1, 2, 3] and [0.5, -1, 2].
const std::vector<double> kLogits{1, 2, 3, 0.5, -1, 2};

double logp(int n, int c) {
    const double* row = &kLogits[static_cast<std::size_t>(n * 3)];
    const double lse = std::log(std::exp(row[0]) + std::exp(row[1]) + std::exp(row[2]));
    return row[c] - lse;
}

CrossEntropyLossOptions ce(Reduction r = Reduction::Mean, double smoothing = 0.0, std::int64_t ignore = -100,
                           Tensor weight = {}) {
    CrossEntropyLossOptions o;
    o.reduction = r;
    o.label_smoothing = smoothing;
    o.ignore_index = ignore;
    o.weight = weight;
    return o;
}

}  // namespace

TEST_CASE("cross_entropy on the 2x3 example: reductions, ignore_index, label smoothing, class weights") {
    for (const char* backend : {"cpu", "reference"}) {
        CAPTURE(std::string(backend));
        CpuBackendGuard guard(backend);
        const Tensor x = f64(kLogits, {2, 3});
        const Tensor t = i64({2, 0}, {2});
        const double l0 = -logp(0, 2), l1 = -logp(1, 0);
        CHECK(l0 == doctest::Approx(0.40760596444438));  // by hand: log(e + e^2 + e^3) - 3
        CHECK(scalar(F::cross_entropy(x, t)) == doctest::Approx((l0 + l1) / 2));
        check_values(F::cross_entropy(x, t, ce(Reduction::None)), {l0, l1});
        CHECK(scalar(F::cross_entropy(x, t, ce(Reduction::Sum))) == doctest::Approx(l0 + l1));

        // ignore_index: the second target is ignored; Mean divides by one.
        CHECK(scalar(F::cross_entropy(x, i64({2, -100}, {2}))) == doctest::Approx(l0));
        check_values(F::cross_entropy(x, i64({2, -100}, {2}), ce(Reduction::None)), {l0, 0.0});
        CHECK(scalar(F::cross_entropy(x, t, ce(Reduction::Mean, 0.0, /*ignore=*/0))) == doctest::Approx(l0));

        // Label smoothing 0.1: (1 - 0.1) * nll + 0.1 / 3 * (-sum_c logp).
        const double eps = 0.1;
        const double s0 = -(logp(0, 0) + logp(0, 1) + logp(0, 2)), s1 = -(logp(1, 0) + logp(1, 1) + logp(1, 2));
        const double ls0 = (1 - eps) * l0 + eps / 3 * s0, ls1 = (1 - eps) * l1 + eps / 3 * s1;
        CHECK(ls0 == doctest::Approx(0.5076059644443801));  // by hand: 0.9 * 0.40761 + 0.1 / 3 * 4.22282
        CHECK(ls1 == doctest::Approx(1.7413).epsilon(1e-4));    // torch 1.13 prints 1.7413
        CHECK(scalar(F::cross_entropy(x, t, ce(Reduction::Mean, eps))) == doctest::Approx((ls0 + ls1) / 2));
        check_values(F::cross_entropy(x, t, ce(Reduction::None, eps)), {ls0, ls1});
        CHECK(scalar(F::cross_entropy(x, t, ce(Reduction::Sum, eps))) == doctest::Approx(ls0 + ls1));
        // Smoothing with an ignored target: the ignored row adds nothing to either term.
        CHECK(scalar(F::cross_entropy(x, i64({-100, 0}, {2}), ce(Reduction::Mean, eps))) == doctest::Approx(ls1));
        check_values(F::cross_entropy(x, i64({-100, 0}, {2}), ce(Reduction::None, eps)), {0.0, ls1});

        // Class weights w = [1, 2, 3]: Mean divides by the weights of the targets (3 + 1).
        const Tensor w = f64({1, 2, 3}, {3});
        CHECK(scalar(F::cross_entropy(x, t, ce(Reduction::Mean, 0.0, -100, w))) ==
              doctest::Approx((3 * l0 + 1 * l1) / 4));
        check_values(F::cross_entropy(x, t, ce(Reduction::None, 0.0, -100, w)), {3 * l0, l1});
        CHECK(scalar(F::cross_entropy(x, i64({2, -100}, {2}), ce(Reduction::Mean, 0.0, -100, w))) ==
              doctest::Approx(l0));
        // ... and with smoothing: smooth_n = -sum_c w_c logp[n, c], divided by the same weight sum.
        const double ws0 = -(1 * logp(0, 0) + 2 * logp(0, 1) + 3 * logp(0, 2));
        const double ws1 = -(1 * logp(1, 0) + 2 * logp(1, 1) + 3 * logp(1, 2));
        CHECK(scalar(F::cross_entropy(x, t, ce(Reduction::Mean, eps, -100, w))) ==
              doctest::Approx((1 - eps) * (3 * l0 + l1) / 4 + eps / 3 * (ws0 + ws1) / 4));
        CHECK(scalar(F::cross_entropy(x, t, ce(Reduction::Mean, eps, -100, w))) ==
              doctest::Approx(0.7952).epsilon(1e-4));  // torch 1.13
        check_values(F::cross_entropy(x, i64({-100, 0}, {2}), ce(Reduction::None, eps, -100, w)),
                     {0.0, (1 - eps) * l1 + eps / 3 * ws1});
        CHECK((1 - eps) * l1 + eps / 3 * ws1 == doctest::Approx(1.8654).epsilon(1e-4));  // torch 1.13
        check_values(F::cross_entropy(x, t, ce(Reduction::None, eps, -100, w)),
                     {(1 - eps) * 3 * l0 + eps / 3 * ws0, (1 - eps) * l1 + eps / 3 * ws1});
    }
}

TEST_CASE("cross_entropy matches nll_loss(log_softmax), on (N, C, d) inputs too") {
    const Tensor x = randn({2, 4, 3}, DType::f64);  // N=2, C=4, d=3
    const Tensor t = i64({0, 3, 1, 2, -100, 3}, {2, 3});
    const Tensor none = F::cross_entropy(x, t, ce(Reduction::None));
    CHECK(none.sizes() == Dims{2, 3});
    const std::vector<double> xv = vals(x), got = vals(none);
    const std::vector<std::int64_t> tv{0, 3, 1, 2, -100, 3};
    double total = 0;
    for (int n = 0; n < 2; ++n)
        for (int d = 0; d < 3; ++d) {
            const std::int64_t c = tv[n * 3 + d];
            double z = 0;
            for (int k = 0; k < 4; ++k) z += std::exp(xv[(n * 4 + k) * 3 + d]);
            const double expected = c < 0 ? 0.0 : std::log(z) - xv[(n * 4 + c) * 3 + d];
            CHECK(got[n * 3 + d] == doctest::Approx(expected));
            total += expected;
        }
    CHECK(scalar(F::cross_entropy(x, t)) == doctest::Approx(total / 5));
    NLLLossOptions nll;
    CHECK(scalar(F::nll_loss(log_softmax(x, 1), t, nll)) == doctest::Approx(total / 5));
    // Unbatched: input (C), target ().
    const Tensor one = F::cross_entropy(f64(kLogits, {2, 3}).select(0, 1), i64({0}, {1}).squeeze(0),
                                        ce(Reduction::None));
    CHECK(one.dim() == 0);
    CHECK(scalar(one) == doctest::Approx(-logp(1, 0)));
    // int32 targets are accepted.
    CHECK(scalar(F::cross_entropy(x, t.to(DType::i32))) == doctest::Approx(total / 5));
}

TEST_CASE("cross_entropy is stable for huge logits and its gradient is softmax - onehot") {
    const Tensor x = f64({1000, 0, -1000, -1000, 1000, 1000}, {2, 3}).requires_grad_();
    const Tensor loss = F::cross_entropy(x, i64({0, 0}, {2}), ce(Reduction::None));
    check_values(loss, {0.0, 2000 + std::log(2.0)});
    sum(loss).backward();
    check_values(x.grad(), {0, 0, 0, -1, 0.5, 0.5});
    const Tensor xf = from_vector<float>({1000.f, 0.f, -1000.f}, Dims{1, 3}).requires_grad_();
    const Tensor lf = F::cross_entropy(xf, i64({2}, {1}));
    CHECK(lf.item<float>() == doctest::Approx(2000.0f));
    lf.backward();
    for (double g : vals(xf.grad())) CHECK(std::isfinite(g));
}

TEST_CASE("cross_entropy with class-probability targets") {
    const Tensor x = f64(kLogits, {2, 3});
    const Tensor p = f64({0.2, 0.3, 0.5, 1, 0, 0}, {2, 3});
    const double r0 = -(0.2 * logp(0, 0) + 0.3 * logp(0, 1) + 0.5 * logp(0, 2)), r1 = -logp(1, 0);
    check_values(F::cross_entropy(x, p, ce(Reduction::None)), {r0, r1});
    CHECK(scalar(F::cross_entropy(x, p)) == doctest::Approx((r0 + r1) / 2));
    // One-hot probabilities equal class indices.
    CHECK(scalar(F::cross_entropy(x, f64({0, 0, 1, 1, 0, 0}, {2, 3}))) ==
          doctest::Approx(scalar(F::cross_entropy(x, i64({2, 0}, {2})))));
    // Smoothing mixes the target with the uniform distribution.
    const double eps = 0.2;
    double s0 = 0;
    const std::vector<double> pv{0.2, 0.3, 0.5};
    for (int c = 0; c < 3; ++c) s0 -= (pv[c] * (1 - eps) + eps / 3) * logp(0, c);
    check_values(F::cross_entropy(x, p, ce(Reduction::None, eps)).narrow(0, 0, 1), {s0});
}

TEST_CASE("nll_loss: weights, ignore_index, reductions, all-ignored gives NaN as PyTorch") {
    const Tensor lp = f64({-1, -2, -3, -0.5, -1.5, -2.5}, {2, 3});
    NLLLossOptions o;
    CHECK(scalar(F::nll_loss(lp, i64({1, 2}, {2}), o)) == doctest::Approx((2 + 2.5) / 2));
    o.weight = f64({0.5, 1, 4}, {3});
    CHECK(scalar(F::nll_loss(lp, i64({1, 2}, {2}), o)) == doctest::Approx((2 + 4 * 2.5) / 5));
    o.reduction = Reduction::Sum;
    CHECK(scalar(F::nll_loss(lp, i64({1, 2}, {2}), o)) == doctest::Approx(2 + 4 * 2.5));
    o.reduction = Reduction::Mean;
    o.ignore_index = 2;
    CHECK(scalar(F::nll_loss(lp, i64({1, 2}, {2}), o)) == doctest::Approx(2.0));
    CHECK(std::isnan(scalar(F::nll_loss(lp, i64({2, 2}, {2}), o))));
    // A -inf log-probability at an ignored position does not poison the loss.
    const Tensor with_inf = f64({-INFINITY, -1, -2, -0.5, -1.5, -2.5}, {2, 3});
    NLLLossOptions plain;
    CHECK(scalar(F::nll_loss(with_inf, i64({-100, 0}, {2}), plain)) == doctest::Approx(0.5));
}

TEST_CASE("class-index losses: errors") {
    const Tensor x = f64(kLogits, {2, 3});
    CHECK_THROWS_WITH_AS(F::cross_entropy(x, i64({3, 0}, {2})), doctest::Contains("target 3 is out of bounds"),
                         IndexError);
    CHECK_THROWS_AS(F::cross_entropy(x, i64({-1, 0}, {2})), IndexError);
    CHECK_THROWS_AS(F::cross_entropy(x, i64({0, 0, 1}, {3})), ShapeError);
    CHECK_THROWS_AS(F::cross_entropy(x, f64({0, 1}, {2})), ShapeError);  // float target must match input
    CHECK_THROWS_AS(F::cross_entropy(x, i64({0, 1}, {2}), ce(Reduction::Mean, 0.0, -100, f64({1, 2}, {2}))),
                    ShapeError);
    CHECK_THROWS_AS(F::cross_entropy(x, i64({0, 1}, {2}), ce(Reduction::Mean, 1.5)), ValueError);
    CHECK_THROWS_AS(F::cross_entropy(i64({0, 1}, {1, 2}), i64({0}, {1})), DTypeError);
    NLLLossOptions o;
    CHECK_THROWS_AS(F::nll_loss(x, from_vector<bool>({true, false}, Dims{2}), o), DTypeError);
}

TEST_CASE("binary_cross_entropy: values, log clamped at -100, finite gradients at 0 and 1") {
    const Tensor x = f64({0.2, 0.9, 0.5}, {3});
    const Tensor y = f64({0, 1, 1}, {3});
    const double e0 = -std::log(0.8), e1 = -std::log(0.9), e2 = -std::log(0.5);
    check_values(F::binary_cross_entropy(x, y, {}, Reduction::None), {e0, e1, e2});
    CHECK(scalar(F::binary_cross_entropy(x, y)) == doctest::Approx((e0 + e1 + e2) / 3));
    CHECK(scalar(F::binary_cross_entropy(x, y, f64({1, 2, 3}, {3}), Reduction::Sum)) ==
          doctest::Approx(e0 + 2 * e1 + 3 * e2));
    // Saturated probabilities: the logs are clamped, nothing is infinite or NaN.
    const Tensor sat = f64({0, 1, 0, 1, 1e-50}, {5}).requires_grad_();
    const Tensor l = F::binary_cross_entropy(sat, f64({1, 0, 0, 1, 1}, {5}), {}, Reduction::None);
    check_values(l, {100, 100, 0, 0, 100});
    sum(l).backward();
    for (double g : vals(sat.grad())) CHECK(std::isfinite(g));
    // Away from the clamp, the gradient is (x - y) / (x (1 - x)).
    const Tensor xg = f64({0.2, 0.9}, {2}).requires_grad_();
    sum(F::binary_cross_entropy(xg, f64({0, 1}, {2}), {}, Reduction::None)).backward();
    check_values(xg.grad(), {0.2 / (0.2 * 0.8), -0.1 / (0.9 * 0.1)});
    CHECK_THROWS_WITH_AS(F::binary_cross_entropy(f64({1.5}, {1}), f64({1}, {1})),
                         doctest::Contains("between 0 and 1"), ValueError);
    CHECK_THROWS_AS(F::binary_cross_entropy(x, f64({1, 0}, {2})), ShapeError);
}

TEST_CASE("binary_cross_entropy_with_logits: stable formula, large |x|, pos_weight, exact gradient at 0") {
    const std::vector<double> xs{-2, 0, 3, 40}, ys{0, 1, 0.5, 1};
    std::vector<double> expected;
    for (std::size_t i = 0; i < xs.size(); ++i)
        expected.push_back(std::max(xs[i], 0.0) - xs[i] * ys[i] + std::log1p(std::exp(-std::abs(xs[i]))));
    const Tensor x = f64(xs, {4}), y = f64(ys, {4});
    check_values(F::binary_cross_entropy_with_logits(x, y, {}, Reduction::None), expected);
    // Agrees with BCE on sigmoid where that is accurate.
    check_values(F::binary_cross_entropy_with_logits(x.narrow(0, 0, 3), y.narrow(0, 0, 3)),
                 {scalar(F::binary_cross_entropy(sigmoid(x.narrow(0, 0, 3)), y.narrow(0, 0, 3)))}, 1e-9);

    // Huge logits in float32 stay finite; the gradient is sigmoid(x) - y.
    // (No expected list of the form {a, a, 0, 0}: GCC 12.2 at -O3 -march=native with AVX-512
    // miscompiles such std::vector initializers into {a, a, a, a}.)
    const Tensor big = from_vector<float>({1000.f, 1000.f, -1000.f, -1000.f}, Dims{4}).requires_grad_();
    const Tensor lb = F::binary_cross_entropy_with_logits(big, from_vector<float>({0.f, 1.f, 1.f, 0.f}, Dims{4}), {},
                                                          Reduction::None);
    check_values(lb, {1000, 0, 1000, 0});
    sum(lb).backward();
    check_values(big.grad(), {1, 0, -1, 0});

    // At exactly 0 the gradient is sigmoid(0) - y = 0.5 - y.
    const Tensor z = f64({0, 0}, {2}).requires_grad_();
    sum(F::binary_cross_entropy_with_logits(z, f64({0, 1}, {2}), {}, Reduction::None)).backward();
    check_values(z.grad(), {0.5, -0.5});

    // pos_weight p: (1 - y) x + (1 + (p - 1) y) softplus(-x); weight multiplies.
    const Tensor x2 = f64({0.5, -1, 2, -0.3}, {2, 2}), y2 = f64({1, 0, 0.25, 1}, {2, 2});
    const Tensor pw = f64({3, 0.5}, {2}), w = f64({2, 1}, {2, 1});
    const std::vector<double> xv = vals(x2), yv = vals(y2), pv{3, 0.5, 3, 0.5}, wv{2, 2, 1, 1};
    std::vector<double> exp_pw;
    for (int i = 0; i < 4; ++i) {
        const double sp = std::log1p(std::exp(-xv[i]));
        exp_pw.push_back(wv[i] * ((1 - yv[i]) * xv[i] + (1 + (pv[i] - 1) * yv[i]) * sp));
    }
    check_values(F::binary_cross_entropy_with_logits(x2, y2, w, Reduction::None, pw), exp_pw);
    CHECK_THROWS_AS(F::binary_cross_entropy_with_logits(x2, y2, {}, Reduction::Mean, f64({1, 2, 3}, {3})),
                    ShapeError);
}

TEST_CASE("mse_loss: values, reductions, gradient, shape check") {
    const Tensor x = f64({1, 2, 3, 4}, {2, 2}).requires_grad_();
    const Tensor y = f64({0, 2, 5, 1}, {2, 2});
    check_values(F::mse_loss(x, y, Reduction::None), {1, 0, 4, 9});
    CHECK(scalar(F::mse_loss(x, y, Reduction::Sum)) == 14.0);
    const Tensor l = F::mse_loss(x, y);
    CHECK(scalar(l) == 3.5);
    l.backward();
    check_values(x.grad(), {0.5, 0, -1, 1.5});  // 2 (x - y) / 4
    CHECK_THROWS_AS(F::mse_loss(x, f64({1, 2}, {2})), ShapeError);
    MSELoss m(Reduction::Sum);
    CHECK(scalar(m.forward(x, y)) == 14.0);
    CHECK(m.str() == "MSELoss()");
}

TEST_CASE("loss modules forward to the functions; weights are buffers") {
    const Tensor x = f64(kLogits, {2, 3});
    const Tensor t = i64({2, 0}, {2});
    CrossEntropyLossOptions o;
    o.weight = f64({1, 2, 3}, {3});
    o.label_smoothing = 0.05;
    CrossEntropyLoss loss(o);
    CHECK(scalar(loss.forward(x, t)) == doctest::Approx(scalar(F::cross_entropy(x, t, o))));
    CHECK(loss.named_buffers().size() == 1);
    CHECK(loss.named_buffers()[0].first == "weight");
    CHECK(loss.named_parameters().empty());
    CHECK(CrossEntropyLoss().named_buffers().empty());
    NLLLoss nll;
    CHECK(scalar(nll.forward(log_softmax(x, 1), t)) == doctest::Approx(scalar(F::cross_entropy(x, t))));
    BCEWithLogitsLoss bce({}, Reduction::Mean, f64({2.0}, {1}));
    CHECK(bce.named_buffers()[0].first == "pos_weight");
    CHECK(scalar(bce.forward(f64({0.3}, {1}), f64({1}, {1}))) == doctest::Approx(2 * std::log1p(std::exp(-0.3))));
    BCELoss b;
    CHECK(scalar(b.forward(f64({0.25}, {1}), f64({0}, {1}))) == doctest::Approx(-std::log(0.75)));
    CHECK(loss.str() == "CrossEntropyLoss()");
}

TEST_CASE("gradcheck: every loss, with weights, smoothing, ignored targets and (N, C, d) inputs") {
    Generator gen(3);
    const Tensor logits = randn({3, 4, 2}, DType::f64, &gen).requires_grad_();
    const Tensor target = i64({0, 3, -100, 1, 2, 2}, {3, 2});
    const Tensor w = f64({0.5, 1.5, 1, 2}, {4});
    for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum}) {
        check_grads([&](const std::vector<Tensor>& in) {
            return std::vector<Tensor>{F::cross_entropy(in[0], target, ce(r, 0.1, -100, w))};
        }, {logits});
        check_grads([&](const std::vector<Tensor>& in) {
            NLLLossOptions o;
            o.weight = w;
            o.reduction = r;
            return std::vector<Tensor>{F::nll_loss(log_softmax(in[0], 1), target, o)};
        }, {logits});
    }
    const Tensor probs = softmax(randn({3, 4}, DType::f64, &gen), 1).detach().requires_grad_();
    check_grads([&](const std::vector<Tensor>& in) {
        return std::vector<Tensor>{F::cross_entropy(in[0].select(2, 0), in[1], ce(Reduction::Mean, 0.2, -100, w))};
    }, {logits, probs});

    const Tensor p = sigmoid(randn({2, 3}, DType::f64, &gen)).detach().requires_grad_();
    const Tensor y = rand({2, 3}, DType::f64, &gen).requires_grad_();
    check_grads([&](const std::vector<Tensor>& in) {
        return std::vector<Tensor>{F::binary_cross_entropy(in[0], in[1], f64({1, 2, 0.5}, {3}))};
    }, {p, y});
    const Tensor z = f64({-3, -0.5, 0.25, 1, 2, 4}, {2, 3}).requires_grad_();
    check_grads([&](const std::vector<Tensor>& in) {
        return std::vector<Tensor>{F::binary_cross_entropy_with_logits(in[0], in[1], f64({2, 1}, {2, 1}),
                                                                       Reduction::Sum, f64({1, 3, 0.5}, {3}))};
    }, {z, y});
    check_grads([&](const std::vector<Tensor>& in) {
        return std::vector<Tensor>{F::mse_loss(in[0], in[1], Reduction::Mean)};
    }, {z, y});
}

TEST_CASE("cross_entropy's fused (N, C) path equals nll_loss of log_softmax, values and gradients") {
    manual_seed(3);
    const Tensor base = mul(randn({6, 7}), 3.0);
    const Tensor target = i64({0, 6, -1, 3, 3, 1}, {6});
    NLLLossOptions no;
    no.ignore_index = -1;
    CrossEntropyLossOptions co;
    co.ignore_index = -1;
    for (const Reduction r : {Reduction::Mean, Reduction::Sum}) {
        no.reduction = co.reduction = r;
        const Tensor a = base.detach().requires_grad_(true), b = base.detach().requires_grad_(true);
        const Tensor fused = F::cross_entropy(a, target, co);
        const Tensor composed = F::nll_loss(log_softmax(b, 1), target, no);
        CHECK(scalar(fused) == doctest::Approx(scalar(composed)).epsilon(1e-6));
        fused.backward();
        composed.backward();
        CHECK(scalar(amax(abs(sub(a.grad(), b.grad())))) < 1e-6);
        // The ignored row gets no gradient.
        CHECK(scalar(amax(abs(a.grad()[2]))) == 0.0);
    }
}
