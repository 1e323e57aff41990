// The gradcheck suite: every differentiable op (autograd/op_registry.cpp) has
// a case here, checked against central finite differences in float64, with
// gradgradcheck for ops marked twice-differentiable, and with its analytic
// gradient compared between the cpu and reference backends.
#include <doctest/doctest.h>

#include <cstdio>
#include <map>
#include <set>

#include "autograd/op_registry.h"
#include "peso.h"
#include "tests/support/gradcheck_cases.h"

using namespace peso;
using autograd::GradcheckOptions;

namespace {

using namespace peso::testing;

// The analytic gradient of sum(outputs * fixed weights) on the current backend.
TL analytic(const GradCase& c, std::uint64_t seed) { return analytic_gradient(c, c.fn, seed); }

}  // namespace

TEST_CASE("gradcheck: every differentiable op") {
    std::map<std::string, bool> twice;
    for (const auto& op : autograd::differentiable_ops()) twice[std::string(op.name)] = op.twice_differentiable;
    std::set<std::string> covered;
    const auto all = cases();
    for (std::size_t k = 0; k < all.size(); ++k) {
        const GradCase& c = all[k];
        CAPTURE(c.op);
        REQUIRE_MESSAGE(twice.count(c.op) == 1, "case for an op missing from the registry: ", c.op);
        const std::uint64_t seed = 1000 + k;
        try {
            Inputs in(seed);
            const TL x = c.make(in);
            const auto r = autograd::gradcheck(c.fn, x, c.opts);
            CHECK_MESSAGE(r.ok, r.report);
            std::string line = fmt::format("{:<14} max abs err {:.2e}  max rel err {:.2e}", c.op, r.max_abs_error, r.max_rel_error);
            if (twice[c.op]) {
                const auto r2 = autograd::gradgradcheck(c.fn, x, c.opts, seed);
                CHECK_MESSAGE(r2.ok, "gradgradcheck: ", r2.report);
                line += fmt::format("  | gradgrad max abs err {:.2e}", r2.max_abs_error);
            }
            // Same analytic gradient on the fast backend as on the reference one.
            TL fast, ref;
            {
                CpuBackendGuard g("cpu");
                fast = analytic(c, seed);
            }
            {
                CpuBackendGuard g("reference");
                ref = analytic(c, seed);
            }
            REQUIRE(fast.size() == ref.size());
            for (std::size_t i = 0; i < fast.size(); ++i) CHECK(allclose(fast[i], ref[i], 1e-10, 1e-12));
            std::printf("%s\n", line.c_str());
            covered.insert(c.op);
        } catch (const std::exception& e) {
            FAIL_CHECK(c.op, " threw: ", std::string(e.what()));
        }
    }
    std::size_t n_covered = 0;
    for (const auto& [name, t] : twice) {
        if (covered.count(name)) ++n_covered;
        else FAIL_CHECK("no passing gradcheck case for differentiable op ", name);
    }
    std::printf("gradcheck: %zu of %zu differentiable ops covered\n", n_covered, twice.size());
    CHECK(n_covered == twice.size());
}

TEST_CASE("gradcheck reports the worst element of a wrong gradient") {
    // A deliberately wrong backward must be caught, with its index and values.
    Tensor x = from_vector<double>({0.5, 1.5, 2.5});
    x.requires_grad_(true);
    auto wrong = [](const TL& in) -> TL {
        const Tensor y = mul(in[0], in[0]);
        Tensor detached_part = mul(in[0].detach(), in[0].detach());  // forward x^2 + x^2, gradient of only one
        return {add(y, detached_part)};
    };
    const auto r = autograd::gradcheck(wrong, {x});
    CHECK_FALSE(r.ok);
    CHECK(r.report.find("analytically") != std::string::npos);
    CHECK(r.report.find("[2]") != std::string::npos);  // the largest error is at the largest x
    CHECK_THROWS_AS(autograd::gradcheck(wrong, {x}, {1e-6, 1e-5, 1e-3, true}), Error);
    CHECK_THROWS_AS(autograd::gradcheck(wrong, {from_vector<float>({1.0f}).requires_grad_()}), DTypeError);
}
