#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "nn/optim/adam.h"
#include "nn/optim/lr_scheduler.h"
#include "nn/optim/sgd.h"
#include "peso.h"

using namespace peso;
using namespace peso::nn::optim;

namespace {

Tensor make_param() { return zeros({2}, DType::f64).requires_grad_(); }

// The lr of group 0 after the constructor and after each of `steps` steps.
template <typename S> std::vector<double> lrs(Optimizer& opt, S& sched, int steps) {
    std::vector<double> out{opt.lr(0)};
    CHECK(sched.get_last_lr()[0] == opt.lr(0));
    for (int i = 0; i < steps; ++i) {
        opt.step();
        sched.step();
        out.push_back(opt.lr(0));
        CHECK(sched.get_last_lr()[0] == opt.lr(0));
    }
    return out;
}

void check_sequence(const std::vector<double>& got, const std::vector<double>& expected, double tol = 1e-15) {
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        INFO("step " << i << ": got " << got[i] << ", expected " << expected[i]);
        CHECK(std::abs(got[i] - expected[i]) <= tol * std::max(1.0, std::abs(expected[i])));
    }
}

constexpr double kPi = std::numbers::pi;

// An optimizer written outside the library, with no momentum option.
class PlainGD : public Optimizer {
public:
    explicit PlainGD(std::vector<Tensor> params) : Optimizer({{"lr", 0.1}}) {
        add_param_groups({{std::move(params), {}}});
    }
    std::string type_name() const override { return "PlainGD"; }

protected:
    void step_group(const ParamGroup& g, std::size_t) override {
        for (Tensor p : g.params)
            if (p.grad().defined()) p.add_(p.grad(), -g.options.at("lr"));
    }
    void validate(const Options&) const override {}
    void check_state(const ParamState&, std::size_t, const Options&) const override {}
};

}  // namespace

TEST_CASE("StepLR, ConstantLR, LinearLR, LambdaLR sequences") {
    Tensor p = make_param();
    SUBCASE("StepLR: gamma every step_size steps") {
        SGD opt(std::vector<Tensor>{p}, {.lr = 1.0});
        StepLR s(opt, 2, 0.5);
        check_sequence(lrs(opt, s, 6), {1, 1, 0.5, 0.5, 0.25, 0.25, 0.125});
        CHECK(s.last_epoch() == 6);
    }
    SUBCASE("ConstantLR: factor for total_iters steps") {
        SGD opt(std::vector<Tensor>{p}, {.lr = 0.1});
        ConstantLR s(opt, 0.5, 3);
        check_sequence(lrs(opt, s, 5), {0.05, 0.05, 0.05, 0.1, 0.1, 0.1});
    }
    SUBCASE("ConstantLR with factor 1 is a constant lr") {
        SGD opt(std::vector<Tensor>{p}, {.lr = 0.1});
        ConstantLR s(opt, 1.0, 3);
        check_sequence(lrs(opt, s, 4), {0.1, 0.1, 0.1, 0.1, 0.1});
    }
    SUBCASE("LinearLR: base * (start + (end - start) * min(t, T) / T)") {
        SGD opt(std::vector<Tensor>{p}, {.lr = 0.1});
        LinearLR s(opt, 0.25, 1.0, 4);
        std::vector<double> expected;
        for (int t = 0; t <= 6; ++t) expected.push_back(0.1 * (0.25 + 0.75 * std::min(t, 4) / 4.0));
        check_sequence(lrs(opt, s, 6), expected, 1e-14);
        check_sequence(expected, {0.025, 0.04375, 0.0625, 0.08125, 0.1, 0.1, 0.1}, 1e-15);
    }
    SUBCASE("LinearLR decaying") {
        SGD opt(std::vector<Tensor>{p}, {.lr = 2.0});
        LinearLR s(opt, 1.0, 0.5, 2);
        check_sequence(lrs(opt, s, 3), {2.0, 1.5, 1.0, 1.0}, 1e-15);
    }
    SUBCASE("LambdaLR") {
        SGD opt(std::vector<Tensor>{p}, {.lr = 0.5});
        LambdaLR s(opt, [](std::int64_t e) { return 1.0 / static_cast<double>(e + 1); });
        check_sequence(lrs(opt, s, 3), {0.5, 0.25, 0.5 / 3.0, 0.125});
    }
    SUBCASE("invalid arguments") {
        SGD opt(std::vector<Tensor>{p}, {.lr = 0.1});
        CHECK_THROWS_AS(StepLR(opt, 0), ValueError);
        CHECK_THROWS_AS(ConstantLR(opt, 1.5), ValueError);
        CHECK_THROWS_AS(ConstantLR(opt, 0.0), ValueError);
        CHECK_THROWS_AS(LinearLR(opt, 0.0), ValueError);
        CHECK_THROWS_AS(LinearLR(opt, 0.5, 1.5), ValueError);
        CHECK_THROWS_AS(WarmupCosineLR(opt, 10, 10, 0.0), ValueError);
        CHECK_THROWS_AS(WarmupCosineLR(opt, 0, 10, -1.0), ValueError);
        CHECK_THROWS_AS(OneCycleLR(opt, 1.0, 0), ValueError);
        CHECK_THROWS_AS(OneCycleLR(opt, 1.0, 10, {.pct_start = 1.5}), ValueError);
        CHECK_THROWS_AS(OneCycleLR(opt, std::vector<double>{1.0, 2.0}, 10), ValueError);
    }
}

TEST_CASE("WarmupCosineLR follows nanoGPT's get_lr") {
    const double lr = 6e-4, min_lr = 6e-5;
    Tensor p = make_param();
    AdamW opt(std::vector<Tensor>{p}, {.lr = lr});
    WarmupCosineLR s(opt, 10, 100, min_lr);
    const std::vector<double> got = lrs(opt, s, 105);
    // Warm-up: lr * (it + 1) / (warmup + 1), never 0 and never reaching lr.
    CHECK(got[0] == lr * 1.0 / 11.0);
    CHECK(got[9] == lr * 10.0 / 11.0);
    // The warm-up boundary: decay ratio 0, the full lr.
    CHECK(got[10] == doctest::Approx(lr).epsilon(1e-15));
    // Halfway through the decay: the midpoint of lr and min_lr.
    CHECK(got[55] == doctest::Approx(0.5 * (lr + min_lr)).epsilon(1e-14));
    // The end of the decay and beyond: min_lr.
    CHECK(got[100] == doctest::Approx(min_lr).epsilon(1e-15));
    CHECK(got[101] == min_lr);
    CHECK(got[104] == min_lr);
    for (int it = 10; it <= 100; ++it) {
        const double coeff = 0.5 * (1.0 + std::cos(kPi * (it - 10) / 90.0));
        CHECK(got[static_cast<std::size_t>(it)] == doctest::Approx(min_lr + coeff * (lr - min_lr)).epsilon(1e-14));
    }
    CHECK(WarmupCosineLR::lr_at(30, 1.0, 0, 60, 0.0) == doctest::Approx(0.5).epsilon(1e-15));
}

TEST_CASE("WarmupCosineLR: a horizon moved during the run (the --max-time schedule)") {
    const double lr = 1e-3, min_lr = 1e-4;
    Tensor p = make_param();
    AdamW opt(std::vector<Tensor>{p}, {.lr = lr});
    WarmupCosineLR s(opt, 5, 1000, min_lr);
    for (int i = 0; i < 20; ++i) opt.step(), s.step();
    CHECK(s.last_epoch() == 20);
    // Moving the end recomputes the lr of the step about to run with the new horizon, at once.
    s.set_max_steps(35);
    CHECK(opt.lr(0) == WarmupCosineLR::lr_at(20, lr, 5, 35, min_lr));
    CHECK(opt.lr(0) == doctest::Approx(min_lr + 0.5 * (lr - min_lr)).epsilon(1e-14));  // halfway: (20-5)/(35-5)
    CHECK(s.max_steps() == 35);
    CHECK_THROWS_AS(s.set_max_steps(5), ValueError);
    CHECK(s.max_steps() == 35);

    SUBCASE("the horizon travels in the state_dict; an old state without it keeps the constructor's") {
        const auto state = s.state_dict();
        CHECK(state.at("max_steps") == 35.0);
        Tensor q = make_param();
        AdamW opt2(std::vector<Tensor>{q}, {.lr = lr});
        WarmupCosineLR s2(opt2, 5, 1000, min_lr);
        s2.load_state_dict(state);
        CHECK(s2.max_steps() == 35);
        opt.step(), s.step();
        opt2.step(), s2.step();
        CHECK(s2.get_last_lr() == s.get_last_lr());

        auto old = state;
        old.erase("max_steps");
        WarmupCosineLR s3(opt2, 5, 1000, min_lr);
        s3.load_state_dict(old);
        CHECK(s3.max_steps() == 1000);
        CHECK(s3.last_epoch() == 20);
    }
    SUBCASE("a bad horizon in a state is refused and changes nothing") {
        auto bad = s.state_dict();
        bad["max_steps"] = 3.0;  // not after the warm-up
        bad["last_epoch"] = 7.0;
        CHECK_THROWS_AS(s.load_state_dict(bad), ValueError);
        CHECK(s.max_steps() == 35);
        CHECK(s.last_epoch() == 20);
        bad["max_steps"] = 40.5;
        CHECK_THROWS_AS(s.load_state_dict(bad), ValueError);
    }
}

TEST_CASE("OneCycleLR: PyTorch's phases, lr and momentum") {
    // max_lr 1, div_factor 25 -> initial 0.04; final_div_factor 1e4 -> min 4e-6.
    // Phase 1 ends at step 0.3 * 10 - 1 = 2, phase 2 at step 9.
    auto cos_anneal = [](double start, double end, double pct) {
        return end + (start - end) / 2.0 * (std::cos(kPi * pct) + 1.0);
    };
    Tensor p = make_param();
    SUBCASE("cosine, momentum cycled on SGD") {
        SGD opt(std::vector<Tensor>{p}, {.lr = 0.5, .momentum = 0.9});
        OneCycleLR s(opt, 1.0, 10);
        CHECK(s.base_lrs()[0] == 0.04);
        CHECK(opt.option(0, "initial_lr") == 0.04);
        std::vector<double> expected, momentum_expected, momenta{opt.option(0, "momentum")};
        for (int t = 0; t <= 10; ++t) {
            if (t <= 2) {
                expected.push_back(cos_anneal(0.04, 1.0, t / 2.0));
                momentum_expected.push_back(cos_anneal(0.95, 0.85, t / 2.0));
            } else {
                expected.push_back(cos_anneal(1.0, 0.04 / 1e4, (t - 2) / 7.0));
                momentum_expected.push_back(cos_anneal(0.85, 0.95, (t - 2) / 7.0));
            }
        }
        std::vector<double> got{opt.lr(0)};
        for (int t = 1; t <= 10; ++t) {
            opt.step();
            s.step();
            got.push_back(opt.lr(0));
            momenta.push_back(opt.option(0, "momentum"));
        }
        check_sequence(got, expected, 1e-15);
        check_sequence(momenta, momentum_expected, 1e-15);
        CHECK(got[0] == doctest::Approx(0.04));
        CHECK(got[2] == 1.0);
        CHECK(got[9] == doctest::Approx(4e-6).epsilon(1e-12));
        CHECK(momenta[0] == doctest::Approx(0.95));
        CHECK(momenta[2] == doctest::Approx(0.85));
        CHECK_THROWS_AS(s.step(), ValueError);  // step 11 of 10
    }
    SUBCASE("linear annealing, beta1 cycled on Adam, per-group max_lr") {
        Tensor q = make_param();
        Adam opt(std::vector<ParamGroup>{{{p}, {}}, {{q}, {}}});
        OneCycleLR s(opt, std::vector<double>{1.0, 2.0}, 10, {.anneal_cos = false});
        auto lin = [](double start, double end, double pct) { return (end - start) * pct + start; };
        for (int t = 1; t <= 5; ++t) {
            opt.step();
            s.step();
        }
        // Step 5: phase 2, pct = 3 / 7.
        CHECK(opt.lr(0) == doctest::Approx(lin(1.0, 4e-6, 3.0 / 7.0)).epsilon(1e-15));
        CHECK(opt.lr(1) == doctest::Approx(lin(2.0, 8e-6, 3.0 / 7.0)).epsilon(1e-15));
        CHECK(opt.option(1, "beta1") == doctest::Approx(lin(0.85, 0.95, 3.0 / 7.0)).epsilon(1e-15));
        CHECK(s.get_last_lr().size() == 2);
        // As in PyTorch, step total_steps extrapolates past min_lr (here below
        // zero) without an error; only the step after it throws.
        for (int t = 6; t <= 10; ++t) {
            opt.step();
            CHECK_NOTHROW(s.step());
        }
        CHECK(opt.lr(0) == doctest::Approx(lin(1.0, 4e-6, 8.0 / 7.0)).epsilon(1e-15));
        CHECK(opt.lr(0) < 0.0);
        CHECK_THROWS_AS(s.step(), ValueError);
    }
    SUBCASE("three phases") {
        SGD opt(std::vector<Tensor>{p}, {.lr = 0.5});
        OneCycleLR s(opt, 1.0, 20, {.pct_start = 0.25, .cycle_momentum = false, .three_phase = true});
        // Phases end at steps 4, 8, 19.
        std::vector<double> got = lrs(opt, s, 19);
        CHECK(got[4] == 1.0);
        CHECK(got[6] == doctest::Approx(cos_anneal(1.0, 0.04, 0.5)).epsilon(1e-15));
        CHECK(got[8] == doctest::Approx(0.04).epsilon(1e-15));
        CHECK(got[19] == doctest::Approx(4e-6).epsilon(1e-12));
        CHECK(opt.option(0, "momentum") == 0.0);  // not cycled
    }
    SUBCASE("cycle_momentum needs a momentum option") {
        PlainGD opt({p});
        CHECK_THROWS_AS(OneCycleLR(opt, 1.0, 10), ValueError);
        OneCycleLR s(opt, 1.0, 10, {.cycle_momentum = false});
        CHECK(opt.lr(0) == doctest::Approx(0.04));
    }
}

TEST_CASE("schedulers: groups, initial_lr, state save and load") {
    Tensor a = make_param(), b = make_param();
    SUBCASE("each group scaled from its own base lr") {
        SGD opt(std::vector<ParamGroup>{{{a}, {}}, {{b}, {{"lr", 1.0}}}}, {.lr = 0.1});
        StepLR s(opt, 1, 0.5);
        opt.step();
        s.step();
        CHECK(s.get_last_lr() == std::vector<double>{0.05, 0.5});
        CHECK(s.base_lrs() == std::vector<double>{0.1, 1.0});
    }
    SUBCASE("a second scheduler starts from the original lr (initial_lr)") {
        SGD opt(std::vector<Tensor>{a}, {.lr = 0.1});
        LinearLR warm(opt, 0.5, 1.0, 2);
        CHECK(opt.lr(0) == 0.05);
        LambdaLR second(opt, [](std::int64_t) { return 1.0; });
        CHECK(second.base_lrs()[0] == 0.1);
    }
    SUBCASE("resume: optimizer + scheduler state into fresh ones continues the sequence") {
        SGD opt(std::vector<Tensor>{a}, {.lr = 0.3});
        StepLR s(opt, 3, 0.1);
        for (int i = 0; i < 4; ++i) opt.step(), s.step();
        const OptimizerState os = opt.state_dict();
        const auto ss = s.state_dict();
        CHECK(ss.at("last_epoch") == 4.0);
        CHECK(ss.at("base_lr.0") == 0.3);

        SGD opt2(std::vector<Tensor>{b}, {.lr = 0.3});
        StepLR s2(opt2, 3, 0.1);
        opt2.load_state_dict(os);
        s2.load_state_dict(ss);
        CHECK(opt2.lr(0) == opt.lr(0));
        for (int i = 0; i < 5; ++i) {
            opt.step(), s.step();
            opt2.step(), s2.step();
            CHECK(opt2.lr(0) == opt.lr(0));
            CHECK(s2.get_last_lr() == s.get_last_lr());
        }
        auto bad = ss;
        bad["base_lr.1"] = 0.1;
        CHECK_THROWS_AS(s2.load_state_dict(bad), ValueError);
        bad = ss;
        bad.erase("last_epoch");
        CHECK_THROWS_AS(s2.load_state_dict(bad), ValueError);
    }
}
