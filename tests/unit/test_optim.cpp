#include <doctest/doctest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "nn/optim/adam.h"
#include "nn/optim/fused_adam.h"
#include "nn/optim/fused_sgd.h"
#include "nn/optim/sgd.h"
#include "peso.h"

using namespace peso;
using namespace peso::nn::optim;
using peso::nn::NamedTensors;

namespace {

// A float64 leaf parameter [1, -2] and the two gradients the hand-computed
// cases below use.
Tensor make_param(const std::vector<double>& v = {1.0, -2.0}) { return from_vector(v).requires_grad_(); }
const std::vector<std::vector<double>> kGrads = {{0.5, 1.0}, {-1.0, 2.0}};

void check_close(const Tensor& t, const std::vector<double>& expected, double tol) {
    const std::vector<double> got = t.to(DType::f64).to_vector<double>();
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        INFO("element " << i << ": got " << got[i] << ", expected " << expected[i]);
        CHECK(std::abs(got[i] - expected[i]) <= tol * (1.0 + std::abs(expected[i])));
    }
}

// Runs `steps` updates of opt on p with the given gradients.
void run(Optimizer& opt, const Tensor& p, const std::vector<std::vector<double>>& grads) {
    for (const auto& g : grads) {
        p.set_grad(from_vector(g));
        opt.step();
    }
}

// torch.optim.Adam/AdamW written out in double, one element at a time.
struct AdamRef {
    double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
    bool decoupled = false, amsgrad = false, maximize = false;
};
std::vector<double> adam_reference(std::vector<double> p, const std::vector<std::vector<double>>& grads,
                                   const AdamRef& o) {
    std::vector<double> m(p.size(), 0.0), v(p.size(), 0.0), vmax(p.size(), 0.0);
    for (std::size_t t = 1; t <= grads.size(); ++t) {
        for (std::size_t i = 0; i < p.size(); ++i) {
            double g = o.maximize ? -grads[t - 1][i] : grads[t - 1][i];
            if (o.decoupled) p[i] *= 1.0 - o.lr * o.weight_decay;
            else g += o.weight_decay * p[i];
            m[i] = o.beta1 * m[i] + (1.0 - o.beta1) * g;
            v[i] = o.beta2 * v[i] + (1.0 - o.beta2) * g * g;
            vmax[i] = std::max(vmax[i], v[i]);
            const double vhat = o.amsgrad ? vmax[i] : v[i];
            const double bc1 = 1.0 - std::pow(o.beta1, static_cast<double>(t));
            const double bc2 = 1.0 - std::pow(o.beta2, static_cast<double>(t));
            p[i] -= o.lr / bc1 * m[i] / (std::sqrt(vhat) / std::sqrt(bc2) + o.eps);
        }
    }
    return p;
}

}  // namespace

// ---- SGD -------------------------------------------------------------------------

TEST_CASE("SGD: plain, momentum and Nesterov steps computed by hand") {
    SUBCASE("plain: p -= lr * g") {
        Tensor p = make_param();
        SGD opt(std::vector<Tensor>{p}, {.lr = 0.1});
        run(opt, p, kGrads);
        check_close(p, {1.0 - 0.05 + 0.1, -2.0 - 0.1 - 0.2}, 1e-15);
    }
    SUBCASE("momentum 0.9: the first step's buffer is the gradient itself") {
        // buf1 = g1 = [0.5, 1];              p1 = [0.95, -2.1]
        // buf2 = 0.9 buf1 + g2 = [-0.55, 2.9]; p2 = [1.005, -2.39]
        Tensor p = make_param();
        SGD opt(std::vector<Tensor>{p}, {.lr = 0.1, .momentum = 0.9});
        run(opt, p, {kGrads[0]});
        check_close(p, {0.95, -2.1}, 1e-15);
        run(opt, p, {kGrads[1]});
        check_close(p, {1.005, -2.39}, 1e-15);
    }
    SUBCASE("Nesterov: d = g + momentum * buf") {
        // d1 = g1 + 0.9 g1 = [0.95, 1.9];          p1 = [0.905, -2.19]
        // buf2 = [-0.55, 2.9]; d2 = g2 + 0.9 buf2 = [-1.495, 4.61]; p2 = [1.0545, -2.651]
        Tensor p = make_param();
        SGD opt(std::vector<Tensor>{p}, {.lr = 0.1, .momentum = 0.9, .nesterov = true});
        run(opt, p, {kGrads[0]});
        check_close(p, {0.905, -2.19}, 1e-15);
        run(opt, p, {kGrads[1]});
        check_close(p, {1.0545, -2.651}, 1e-15);
    }
    SUBCASE("dampening applies from the second step; weight decay is added to the gradient") {
        // d1 = g1 + 0.1 p0 = [0.6, 0.8]; buf1 = d1; p1 = [0.94, -2.08]
        // d2 = g2 + 0.1 p1 = [-0.906, 1.792]; buf2 = 0.9 buf1 + 0.5 d2 = [0.087, 1.616]; p2 = [0.9313, -2.2416]
        Tensor p = make_param();
        SGD opt(std::vector<Tensor>{p}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.5, .weight_decay = 0.1});
        run(opt, p, kGrads);
        check_close(p, {0.9313, -2.2416}, 1e-14);
    }
    SUBCASE("maximize ascends") {
        Tensor p = make_param();
        SGD opt(std::vector<Tensor>{p}, {.lr = 0.1, .maximize = true});
        run(opt, p, {kGrads[0]});
        check_close(p, {1.05, -1.9}, 1e-15);
    }
}

TEST_CASE("SGD: float32 parameters, parameters without gradients, state") {
    Tensor a = tensor({1.0f, 2.0f}).requires_grad_();
    Tensor b = tensor({3.0f}).requires_grad_();
    SGD opt(std::vector<Tensor>{a, b}, {.lr = 0.5, .momentum = 0.9});
    a.set_grad(tensor({1.0f, -1.0f}));
    opt.step();
    CHECK(a.to_vector<float>() == std::vector<float>{0.5f, 2.5f});
    CHECK(b.to_vector<float>() == std::vector<float>{3.0f});  // no gradient: untouched, no state
    const NamedTensors st = opt.state_tensors();
    REQUIRE(st.size() == 1);
    CHECK(st[0].first == "state.0.momentum_buffer");
    CHECK(st[0].second.to_vector<float>() == std::vector<float>{1.0f, -1.0f});
}

TEST_CASE("SGD: option validation") {
    Tensor p = make_param();
    CHECK_THROWS_AS(SGD(std::vector<Tensor>{p}, {.lr = -1.0}), ValueError);
    CHECK_THROWS_AS(SGD(std::vector<Tensor>{p}, {.momentum = -0.1}), ValueError);
    CHECK_THROWS_AS(SGD(std::vector<Tensor>{p}, {.lr = 0.1, .nesterov = true}), ValueError);  // no momentum
    CHECK_THROWS_AS(SGD(std::vector<Tensor>{p}, {.momentum = 0.9, .dampening = 0.1, .nesterov = true}), ValueError);
    CHECK_THROWS_AS(SGD(std::vector<ParamGroup>{{{p}, {{"betas", 0.9}}}}), ValueError);  // unknown option
    CHECK_THROWS_AS(SGD(std::vector<Tensor>{p, p}), ValueError);                          // duplicate
    CHECK_THROWS_AS(SGD(std::vector<Tensor>{}), ValueError);
    CHECK_THROWS_AS(SGD(std::vector<ParamGroup>{}), ValueError);
    Tensor non_leaf = mul(make_param(), 2.0);
    CHECK_THROWS_AS(SGD(std::vector<Tensor>{non_leaf}), ValueError);
    CHECK_THROWS_AS(SGD(std::vector<Tensor>{arange(3)}), DTypeError);
    SGD opt(std::vector<Tensor>{p}, {.lr = 0.1});
    CHECK_THROWS_AS(opt.set_lr(0, -0.5), ValueError);
    CHECK_THROWS_AS(opt.set_option(0, "momentun", 0.5), ValueError);
    CHECK_THROWS_AS(opt.lr(1), IndexError);
    CHECK_THROWS_AS(p.set_grad(from_vector(std::vector<double>{1.0, 2.0, 3.0})), ShapeError);
    p.set_grad(tensor({1.0f, 2.0f}));
    CHECK_THROWS_AS(opt.step(), DTypeError);
}

TEST_CASE("SGD: the fused loop agrees with the tensor-op form") {
    const std::vector<SGDCoefficients> cases = {
        {.lr = 0.1},
        {.lr = 0.1, .weight_decay = 0.01, .maximize = true},
        {.lr = 0.1, .momentum = 0.9},
        {.lr = 0.1, .momentum = 0.9, .dampening = 0.3, .weight_decay = 0.01},
        {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01, .nesterov = true},
    };
    for (DType dt : {DType::f32, DType::f64}) {
        for (std::size_t k = 0; k < cases.size(); ++k) {
            CAPTURE(k);
            Generator gen(17);
            const std::int64_t n = 1005;
            Tensor p1 = randn({n}, TensorOptions(dt), &gen), p2 = p1.clone(), b1, b2;
            for (int s = 0; s < 3; ++s) {
                const Tensor g = randn({n}, TensorOptions(dt), &gen);
                REQUIRE(sgd_update_fusable(p1, g, b1));
                sgd_update_fused(p1, g, b1, cases[k]);
                sgd_update_composite(p2, g, b2, cases[k]);
            }
            const double tol = dt == DType::f32 ? 1e-6 : 1e-14;
            CHECK(allclose(p1, p2, tol, tol));
            CHECK(b1.defined() == (cases[k].momentum != 0.0));
            if (b1.defined()) CHECK(allclose(b1, b2, tol, tol));
        }
    }
}

TEST_CASE("SGD: same bits on any thread count; non-contiguous parameters") {
    const std::int64_t n = 100007;
    Generator gen(4);
    const Tensor p0 = randn({n}, {}, &gen), g = randn({n}, {}, &gen);
    std::vector<Tensor> out;
    const int saved = omp_get_max_threads();
    for (int threads : {1, 2, 3}) {
        omp_set_num_threads(threads);
        Tensor p = p0.clone(), buf;
        for (int s = 0; s < 2; ++s) sgd_update_fused(p, g, buf, {.lr = 0.1, .momentum = 0.9, .nesterov = true});
        out.push_back(p);
    }
    omp_set_num_threads(saved);
    CHECK(equal(out[0], out[1]));
    CHECK(equal(out[0], out[2]));

    const Tensor base = randn({4, 3}, {}, &gen), grad = randn({3, 4}, {}, &gen);
    Tensor strided = base.clone().t().requires_grad_();
    Tensor dense = base.t().contiguous().requires_grad_();
    SGD a(std::vector<Tensor>{strided}, {.lr = 0.1, .momentum = 0.9});
    SGD b(std::vector<Tensor>{dense}, {.lr = 0.1, .momentum = 0.9});
    for (int s = 0; s < 3; ++s) {
        strided.set_grad(grad);
        dense.set_grad(grad.t().contiguous().t());
        a.step();
        b.step();
    }
    CHECK(allclose(strided, dense, 1e-6, 1e-6));
}

// ---- Adam / AdamW ------------------------------------------------------------------

TEST_CASE("Adam and AdamW: two steps computed by hand in double") {
    // Step 1: m = 0.1 g, v = 0.001 g^2, bias corrections 0.1 and 0.001, so
    // p1 = p0 - lr * g / (|g| + eps).
    // Step 2 (g2 = [-1, 2]): m = [-0.055, 0.29], v = [0.00124975, 0.004999],
    // bias corrections 0.19 and 0.001999.
    SUBCASE("Adam") {
        Tensor p = make_param();
        Adam opt(std::vector<Tensor>{p}, {.lr = 0.1});
        run(opt, p, {kGrads[0]});
        check_close(p, {1.0 - 0.1 * 0.5 / (0.5 + 1e-8), -2.0 - 0.1 * 1.0 / (1.0 + 1e-8)}, 1e-15);
        check_close(p, {0.900000002, -2.099999999}, 1e-15);
        run(opt, p, {kGrads[1]});
        check_close(p, {0.9366103542405654, -2.1965182009718336}, 1e-14);
        check_close(p, adam_reference({1.0, -2.0}, kGrads, {.lr = 0.1}), 1e-15);
        CHECK(opt.state_scalars().at("state.0.step") == 2.0);
        const NamedTensors st = opt.state_tensors();
        REQUIRE(st.size() == 2);
        CHECK(st[0].first == "state.0.exp_avg");
        CHECK(st[1].first == "state.0.exp_avg_sq");
        check_close(st[0].second, {-0.055, 0.29}, 1e-15);
        check_close(st[1].second, {0.00124975, 0.004999}, 1e-14);
    }
    SUBCASE("Adam with L2 weight decay added to the gradient") {
        Tensor p = make_param();
        Adam opt(std::vector<Tensor>{p}, {.lr = 0.1, .weight_decay = 0.1});
        run(opt, p, kGrads);
        check_close(p, {0.9252635194456061, -2.1952720095868674}, 1e-14);
        check_close(p, adam_reference({1.0, -2.0}, kGrads, {.lr = 0.1, .weight_decay = 0.1}), 1e-15);
    }
    SUBCASE("AdamW: decoupled decay p *= 1 - lr * wd before the Adam step") {
        Tensor p = make_param();
        AdamW opt(std::vector<Tensor>{p}, {.lr = 0.1, .weight_decay = 0.1});
        run(opt, p, {kGrads[0]});
        check_close(p, {0.99 - 0.1 * 0.5 / (0.5 + 1e-8), -1.98 - 0.1 / (1.0 + 1e-8)}, 1e-15);
        run(opt, p, {kGrads[1]});
        check_close(p, {0.9177103542205653, -2.1557182009818336}, 1e-14);
        check_close(p, adam_reference({1.0, -2.0}, kGrads, {.lr = 0.1, .weight_decay = 0.1, .decoupled = true}),
                    1e-15);
    }
    SUBCASE("AdamW's default weight decay is 0.01, Adam's 0") {
        Tensor p = make_param();
        CHECK(AdamW(std::vector<Tensor>{p}).option(0, "weight_decay") == 0.01);
        CHECK(Adam(std::vector<Tensor>{p}).option(0, "weight_decay") == 0.0);
        CHECK(AdamW(std::vector<Tensor>{p}).type_name() == "AdamW");
    }
    SUBCASE("amsgrad keeps the largest second moment") {
        const std::vector<std::vector<double>> grads = {{0.5, 1.0}, {-1.0, 2.0}, {0.1, -0.2}};
        Tensor p = make_param();
        Adam opt(std::vector<Tensor>{p}, {.lr = 0.1, .beta1 = 0.8, .beta2 = 0.9, .amsgrad = true});
        run(opt, p, grads);
        check_close(p, {0.9646771545378283, -2.2590410155601583}, 1e-14);
        check_close(p, adam_reference({1.0, -2.0}, grads, {.lr = 0.1, .beta1 = 0.8, .beta2 = 0.9, .amsgrad = true}),
                    1e-15);
        CHECK(opt.state_tensors().size() == 3);
    }
    SUBCASE("maximize") {
        Tensor p = make_param();
        Adam opt(std::vector<Tensor>{p}, {.lr = 0.1, .maximize = true});
        run(opt, p, kGrads);
        check_close(p, {1.0633896457594345, -1.8034817990281664}, 1e-14);
    }
}

TEST_CASE("parameter groups: per-group lr, weight decay only where set") {
    // Zero gradients: Adam's step is 0 / (0 + eps) = 0, so only AdamW's decay moves p.
    Tensor decay = make_param({1.0, 2.0});
    Tensor no_decay = make_param({3.0});
    AdamW opt(std::vector<ParamGroup>{{{decay}, {{"weight_decay", 0.1}, {"lr", 0.5}}},
                                      {{no_decay}, {{"weight_decay", 0.0}}}},
              {.lr = 0.01});
    CHECK(opt.num_groups() == 2);
    CHECK(opt.num_params() == 2);
    CHECK(opt.lr(0) == 0.5);
    CHECK(opt.lr(1) == 0.01);
    decay.set_grad(zeros({2}, DType::f64));
    no_decay.set_grad(zeros({1}, DType::f64));
    opt.step();
    check_close(decay, {0.95, 1.9}, 1e-15);  // p *= 1 - 0.5 * 0.1
    check_close(no_decay, {3.0}, 0.0);

    SUBCASE("each group steps with its own lr") {
        Tensor a = make_param(), b = make_param();
        SGD sgd(std::vector<ParamGroup>{{{a}, {}}, {{b}, {{"lr", 1.0}}}}, {.lr = 0.1});
        a.set_grad(from_vector(kGrads[0]));
        b.set_grad(from_vector(kGrads[0]));
        sgd.step();
        check_close(a, {0.95, -2.1}, 1e-15);
        check_close(b, {0.5, -3.0}, 1e-15);
        sgd.set_lr(0.0);
        sgd.step();
        check_close(b, {0.5, -3.0}, 1e-15);
    }
    SUBCASE("add_param_group") {
        Tensor c = make_param();
        opt.add_param_group({{c}, {{"lr", 0.2}}});
        CHECK(opt.num_groups() == 3);
        CHECK(opt.lr(2) == 0.2);
        CHECK(opt.option(2, "weight_decay") == 0.01);  // the default
        CHECK_THROWS_AS(opt.add_param_group({{decay}, {}}), ValueError);  // already optimized
    }
}

TEST_CASE("zero_grad and step with a closure") {
    Tensor p = make_param();
    SGD opt(std::vector<Tensor>{p}, {.lr = 0.1});
    const Tensor loss = opt.step([&] {
        opt.zero_grad();
        Tensor l = sum(mul(p, p));
        l.backward();
        return l;
    });
    CHECK(loss.item<double>() == 5.0);
    check_close(p, {0.8, -1.6}, 1e-15);  // g = 2p
    opt.zero_grad(false);
    REQUIRE(p.grad().defined());
    CHECK(p.grad().to_vector<double>() == std::vector<double>{0.0, 0.0});
    opt.zero_grad();
    CHECK_FALSE(p.grad().defined());
}

TEST_CASE("Adam: the fused loop agrees with the tensor-op form") {
    for (DType dt : {DType::f32, DType::f64}) {
        for (bool decoupled : {false, true}) {
            for (bool maximize : {false, true}) {
                CAPTURE(dt);
                CAPTURE(decoupled);
                CAPTURE(maximize);
                Generator gen(7);
                const std::int64_t n = 1003;  // a vector tail
                const Tensor p0 = randn({n}, TensorOptions(dt), &gen);
                const Tensor g = randn({n}, TensorOptions(dt), &gen);
                Tensor p1 = p0.clone(), m1 = zeros({n}, dt), v1 = zeros({n}, dt);
                Tensor p2 = p0.clone(), m2 = zeros({n}, dt), v2 = zeros({n}, dt), none;
                for (double step : {1.0, 2.0, 3.0}) {
                    const AdamCoefficients c =
                        AdamCoefficients::at_step(step, 0.01, 0.9, 0.999, 1e-8, 0.1, decoupled, maximize);
                    REQUIRE(adam_update_fusable(p1, g, m1, v1, none));
                    adam_update_fused(p1, g, m1, v1, c);
                    adam_update_composite(p2, g, m2, v2, none, c);
                }
                const double tol = dt == DType::f32 ? 1e-6 : 1e-14;
                CHECK(allclose(p1, p2, tol, tol));
                CHECK(allclose(m1, m2, tol, tol));
                CHECK(allclose(v1, v2, tol, tol));
                CHECK_FALSE(equal(p1, p0));
            }
        }
    }
}

TEST_CASE("Adam: the fused loop gives the same bits on any thread count") {
    const std::int64_t n = 200003;  // several threads' worth, plus a tail
    Generator gen(3);
    const Tensor p0 = randn({n}, {}, &gen), g = randn({n}, {}, &gen);
    std::vector<Tensor> out;
    const int saved = omp_get_max_threads();
    for (int threads : {1, 2, 3}) {
        omp_set_num_threads(threads);
        Tensor p = p0.clone(), m = zeros({n}), v = zeros({n});
        adam_update_fused(p, g, m, v, AdamCoefficients::at_step(1.0, 1e-3, 0.9, 0.95, 1e-8, 0.1, true, false));
        out.push_back(p);
    }
    omp_set_num_threads(saved);
    CHECK(equal(out[0], out[1]));
    CHECK(equal(out[0], out[2]));
}

TEST_CASE("fused updates of many tensors in one region equal one-by-one updates") {
    Generator gen(21);
    std::vector<std::int64_t> sizes = {5, 70001, 1, 40000, 33};
    std::vector<AdamFusedTask> adam_tasks;
    std::vector<SGDFusedTask> sgd_tasks;
    std::vector<Tensor> adam_single, sgd_single;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        const DType dt = i % 2 ? DType::f32 : DType::f64;
        const Tensor p = randn({sizes[i]}, TensorOptions(dt), &gen), g = randn({sizes[i]}, TensorOptions(dt), &gen);
        const AdamCoefficients c =
            AdamCoefficients::at_step(static_cast<double>(i + 1), 0.01, 0.9, 0.99, 1e-8, 0.1 * i, i % 3 == 0, i == 4);
        adam_tasks.push_back({p.clone(), g, zeros({sizes[i]}, dt), zeros({sizes[i]}, dt), c});
        Tensor q = p.clone(), m = zeros({sizes[i]}, dt), v = zeros({sizes[i]}, dt);
        adam_update_fused(q, g, m, v, c);
        adam_single.push_back(q);

        const SGDCoefficients sc{.lr = 0.1, .momentum = i % 2 ? 0.9 : 0.0, .weight_decay = 0.01 * i, .nesterov = i == 3};
        sgd_tasks.push_back({p.clone(), g, sc.momentum != 0.0 ? empty({sizes[i]}, dt) : Tensor(), true, sc});
        Tensor r = p.clone(), buf;
        sgd_update_fused(r, g, buf, sc);
        sgd_single.push_back(r);
    }
    adam_update_fused_many(adam_tasks);
    sgd_update_fused_many(sgd_tasks);
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        CAPTURE(i);
        CHECK(equal(adam_tasks[i].param, adam_single[i]));
        CHECK(equal(sgd_tasks[i].param, sgd_single[i]));
    }
    // An unfusable task is refused before anything changes.
    const Tensor before = adam_tasks[0].param.clone();
    adam_tasks.push_back({zeros({3}), zeros({4}), zeros({3}), zeros({3}), {}});
    CHECK_THROWS_AS(adam_update_fused_many(adam_tasks), ValueError);
    CHECK(equal(adam_tasks[0].param, before));
}

TEST_CASE("Adam: non-contiguous parameters and gradients take the tensor-op path") {
    Generator gen(11);
    const Tensor base = randn({4, 3}, {}, &gen);
    const Tensor grad = randn({3, 4}, {}, &gen);
    Tensor strided = base.clone().t().requires_grad_();  // a leaf whose data is transposed
    REQUIRE_FALSE(strided.is_contiguous());
    Tensor dense = base.t().contiguous().requires_grad_();
    AdamW a(std::vector<Tensor>{strided}, {.lr = 0.1});
    AdamW b(std::vector<Tensor>{dense}, {.lr = 0.1});
    for (int s = 0; s < 3; ++s) {
        strided.set_grad(grad);
        dense.set_grad(grad.t().contiguous().t());  // non-contiguous gradient for the fused path
        a.step();
        b.step();
    }
    CHECK(allclose(strided, dense, 1e-6, 1e-6));
}

// ---- state save / load ----------------------------------------------------------------

namespace {

template <typename Opt, typename O>
void check_resume_bit_for_bit(const O& options) {
    Generator gen(5);
    const Tensor w0 = randn({7, 5}, {}, &gen), b0 = randn({5}, {}, &gen);
    std::vector<Tensor> grads;
    for (int s = 0; s < 6; ++s) grads.push_back(randn({7, 5}, {}, &gen)), grads.push_back(randn({5}, {}, &gen));

    Tensor w = w0.clone().requires_grad_(), b = b0.clone().requires_grad_();
    Opt opt(std::vector<ParamGroup>{{{w}, {}}, {{b}, {{"weight_decay", 0.0}}}}, options);
    auto step = [&](Optimizer& o, Tensor& pw, Tensor& pb, int s) {
        pw.set_grad(grads[2 * s]);
        pb.set_grad(grads[2 * s + 1]);
        o.step();
    };
    for (int s = 0; s < 3; ++s) step(opt, w, b, s);
    const OptimizerState saved = opt.state_dict();

    // A fresh optimizer (other options, other lr) on copies of the parameters.
    Tensor w2 = w.detach().clone().requires_grad_(), b2 = b.detach().clone().requires_grad_();
    Opt fresh(std::vector<ParamGroup>{{{w2}, {}}, {{b2}, {}}}, O{});
    fresh.load_state_dict(saved);
    CHECK(fresh.state_scalars() == saved.scalars);
    for (int s = 3; s < 6; ++s) {
        step(opt, w, b, s);
        step(fresh, w2, b2, s);
    }
    CHECK(equal(w, w2));
    CHECK(equal(b, b2));
    // The loaded state is a copy: the original's tensors were not shared.
    const NamedTensors a = opt.state_tensors(), c = fresh.state_tensors();
    REQUIRE(a.size() == c.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].first == c[i].first);
        CHECK_FALSE(a[i].second.shares_storage(c[i].second));
        CHECK(equal(a[i].second, c[i].second));
    }
}

}  // namespace

TEST_CASE("optimizer state: save, load into a fresh optimizer, identical next steps") {
    SUBCASE("SGD") { check_resume_bit_for_bit<SGD>(SGDOptions{.lr = 0.05, .momentum = 0.9, .weight_decay = 0.01}); }
    SUBCASE("Adam") { check_resume_bit_for_bit<Adam>(AdamOptions{.lr = 0.01, .weight_decay = 0.01}); }
    SUBCASE("AdamW") { check_resume_bit_for_bit<AdamW>(AdamWOptions{.lr = 0.01, .beta2 = 0.95}); }
    SUBCASE("AdamW amsgrad") { check_resume_bit_for_bit<AdamW>(AdamWOptions{.lr = 0.01, .amsgrad = true}); }
}

TEST_CASE("optimizer state: names, and load errors") {
    Tensor w = make_param(), b = make_param({0.5});
    AdamW opt(std::vector<ParamGroup>{{{w}, {}}, {{b}, {{"weight_decay", 0.0}}}}, {.lr = 0.1});
    w.set_grad(from_vector(kGrads[0]));
    opt.step();  // b has no gradient: no state for parameter 1
    const OptimizerState s = opt.state_dict();
    CHECK(s.scalars.at("num_groups") == 2.0);
    CHECK(s.scalars.at("group.0.num_params") == 1.0);
    CHECK(s.scalars.at("group.0.lr") == 0.1);
    CHECK(s.scalars.at("group.1.weight_decay") == 0.0);
    CHECK(s.scalars.at("group.0.beta2") == 0.999);
    CHECK(s.scalars.at("state.0.step") == 1.0);
    CHECK(s.scalars.count("state.1.step") == 0);
    REQUIRE(s.tensors.size() == 2);

    auto fresh = [] {
        Tensor w2 = make_param(), b2 = make_param({0.5});
        return std::make_tuple(w2, b2);
    };
    auto [w2, b2] = fresh();
    AdamW target(std::vector<ParamGroup>{{{w2}, {}}, {{b2}, {}}});
    target.load_state_dict(s);
    CHECK(target.option(1, "weight_decay") == 0.0);  // options come from the state
    CHECK(target.lr(0) == 0.1);

    auto with = [&](auto edit) {
        OptimizerState bad = s;
        edit(bad);
        return bad;
    };
    CHECK_THROWS_AS(target.load_state_dict(with([](OptimizerState& x) { x.scalars["num_groups"] = 3; })), ValueError);
    CHECK_THROWS_AS(target.load_state_dict(with([](OptimizerState& x) { x.scalars.erase("num_groups"); })), ValueError);
    CHECK_THROWS_AS(target.load_state_dict(with([](OptimizerState& x) { x.scalars["group.0.num_params"] = 2; })),
                    ValueError);
    CHECK_THROWS_AS(target.load_state_dict(with([](OptimizerState& x) { x.scalars["group.0.momentum"] = 0.9; })),
                    ValueError);
    CHECK_THROWS_AS(target.load_state_dict(with([](OptimizerState& x) { x.scalars["state.5.step"] = 1; })),
                    ValueError);
    CHECK_THROWS_AS(target.load_state_dict(with([](OptimizerState& x) { x.scalars["state.0.step"] = 1.5; })),
                    ValueError);
    CHECK_THROWS_AS(target.load_state_dict(with([](OptimizerState& x) { x.scalars["whatever"] = 1; })), ValueError);
    CHECK_THROWS_AS(target.load_state_dict(with([](OptimizerState& x) { x.tensors[0].second = zeros({3}); })),
                    ShapeError);
    CHECK_THROWS_AS(target.load_state_dict(with([](OptimizerState& x) { x.tensors.pop_back(); })), ValueError);
    CHECK_THROWS_AS(
        target.load_state_dict(with([](OptimizerState& x) { x.tensors.emplace_back("state.0.momentum", zeros({2})); })),
        ValueError);
    CHECK_THROWS_AS(
        target.load_state_dict(with([](OptimizerState& x) { x.tensors.emplace_back("exp_avg", zeros({2})); })),
        ValueError);
    // A failed load changes nothing.
    CHECK(target.state_scalars() == s.scalars);

    // An SGD state does not load into Adam.
    Tensor w3 = make_param(), b3 = make_param({0.5});
    SGD sgd(std::vector<ParamGroup>{{{w3}, {}}, {{b3}, {}}}, {.lr = 0.1, .momentum = 0.9});
    CHECK_THROWS_AS(target.load_state_dict(sgd.state_dict()), ValueError);
}

TEST_CASE("nanoGPT-style groups from a module's named parameters") {
    struct Tiny : nn::Module {
        Tiny() {
            register_parameter("weight", ones({2, 3}, DType::f64));
            register_parameter("bias", ones({3}, DType::f64));
        }
    };
    auto model = std::make_shared<Tiny>();
    std::vector<Tensor> decay, no_decay;
    for (auto& [name, p] : model->named_parameters()) (p.dim() >= 2 ? decay : no_decay).push_back(p);
    AdamW opt({{decay, {{"weight_decay", 0.1}}}, {no_decay, {{"weight_decay", 0.0}}}},
              {.lr = 0.5, .beta1 = 0.9, .beta2 = 0.95});
    for (Tensor& p : model->parameters()) p.set_grad(zeros_like(p));
    opt.step();
    CHECK(model->parameter("weight").to_vector<double>() == std::vector<double>(6, 0.95));
    CHECK(model->parameter("bias").to_vector<double>() == std::vector<double>(3, 1.0));
    opt.zero_grad();
    CHECK_FALSE(model->parameter("weight").grad().defined());
}
