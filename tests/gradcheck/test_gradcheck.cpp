// The gradcheck suite: every sample of every differentiable op
// (tests/support/gradcheck_samples.h) checked against central finite
// differences in float64, with gradgradcheck for ops marked twice
// differentiable, and with its analytic gradient compared between the cpu and
// reference backends. Coverage comes from what ran: the ops the samples'
// functions recorded, the option values passing samples exercised.
#include <doctest/doctest.h>

#include <cstdio>

#include "autograd/op_registry.h"
#include "peso.h"
#include "tests/support/gradcheck_suite.h"

using namespace peso;
using namespace peso::testing;

TEST_CASE("gradcheck: every differentiable op, every option value") {
    const SuiteResult r = run_gradcheck_suite({});
    for (const std::string& line : r.op_lines) std::printf("%s\n", line.c_str());
    for (const std::string& note : r.notes) std::printf("note: %s\n", note.c_str());
    for (const std::string& f : r.failures) FAIL_CHECK(f);
    std::printf("%s\n", r.summary.c_str());
    CHECK(r.complete);
}

TEST_CASE("gradcheck suite: coverage counts what ran") {
    // A sample's op counts only when its node was recorded: a function that
    // returns its input untouched records nothing.
    {
        const autograd::RecordedOps outer;
        Tensor x = from_vector<double>({1.0, 2.0}).requires_grad_();
        {
            const autograd::RecordedOps inner;
            (void)contiguous(x);  // already contiguous: no node
            CHECK(inner.names().empty());
            Tensor y = mul(x, 2.0);
            y.narrow(0, 0, 1).mul_(3.0);  // in place through a view: "copy_ (through a view)"
            CHECK(inner.names() == std::set<std::string, std::less<>>{"clone", "copy_", "mul", "narrow"});
        }
        (void)exp(x);
        CHECK(outer.names() == std::set<std::string, std::less<>>{"clone", "copy_", "exp", "mul", "narrow"});
        NoGradGuard g;
        (void)sin(x);
        CHECK(outer.names().count("sin") == 0);
    }
    // The registry declares no option value twice (the suite reports a
    // sample naming an undeclared one).
    for (const autograd::OpInfo& op : autograd::differentiable_ops()) {
        std::set<std::string> seen;
        for (const auto& d : op.options)
            for (const auto& v : d.values) CHECK_MESSAGE(seen.insert(fmt::format("{}={}", d.name, v)).second, op.name);
    }
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
