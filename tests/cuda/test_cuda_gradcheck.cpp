// The gradcheck suite (tests/support/gradcheck_cases.h) on the emulated CUDA
// device: each case's function runs on cuda copies of its float64 inputs
// (the copies are part of the graph, so the backward runs on cuda too), and
// its gradient must match central finite differences and, exactly up to
// rounding, the analytic gradient computed on the cpu reference backend.
#include <doctest/doctest.h>

#include <cstdio>
#include <set>

#include "autograd/op_registry.h"
#include "peso.h"
#include "tests/support/gradcheck_cases.h"

using namespace peso;

namespace {

using namespace peso::testing;

const Device kCuda = Device::cuda(0);

}  // namespace

TEST_CASE("cuda gradcheck: every differentiable op on the emulated device") {
    std::set<std::string> registered, covered;
    for (const auto& op : autograd::differentiable_ops()) registered.insert(std::string(op.name));
    const auto all = cases();
    for (std::size_t k = 0; k < all.size(); ++k) {
        const GradCase& c = all[k];
        CAPTURE(c.op);
        const std::uint64_t seed = 1000 + k;
        try {
            const auto fn = on_device(c.fn, kCuda);
            Inputs in(seed);
            const auto r = autograd::gradcheck(fn, c.make(in), c.opts);
            CHECK_MESSAGE(r.ok, r.report);
            TL ref;
            {
                CpuBackendGuard g("reference");
                ref = analytic_gradient(c, c.fn, seed);
            }
            const TL got = analytic_gradient(c, fn, seed);
            REQUIRE(got.size() == ref.size());
            for (std::size_t i = 0; i < got.size(); ++i) CHECK(allclose(got[i], ref[i], 1e-9, 1e-11));
            covered.insert(c.op);
        } catch (const std::exception& e) {
            FAIL_CHECK(c.op, " threw: ", std::string(e.what()));
        }
    }
    for (const auto& name : registered)
        if (!covered.count(name)) FAIL_CHECK("no passing cuda gradcheck case for differentiable op ", name);
    std::printf("cuda gradcheck: %zu of %zu differentiable ops covered\n", covered.size(), registered.size());
}

TEST_CASE("cuda gradgradcheck: a set of twice-differentiable ops on the emulated device") {
    const auto all = cases();
    int checked = 0;
    for (std::size_t k = 0; k < all.size(); ++k) {
        const GradCase& c = all[k];
        static const std::set<std::string> chosen = {"mul", "exp", "tanh", "matmul", "softmax", "layer_norm", "sum",
                                                     "gather", "index_add"};
        if (!chosen.count(c.op)) continue;
        CAPTURE(c.op);
        Inputs in(1000 + k);
        const auto r = autograd::gradgradcheck(on_device(c.fn, kCuda), c.make(in), c.opts, 1000 + k);
        CHECK_MESSAGE(r.ok, r.report);
        ++checked;
    }
    CHECK(checked >= 8);
}
