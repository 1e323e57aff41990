// Gradients that the gradcheck suite's samples (tests/support/samples) found
// wrong, each pinned to the value PyTorch 1.13 gives. Every case failed
// before its fix.
#include <doctest/doctest.h>

#include <vector>

#include "peso.h"

using namespace peso;

namespace {

std::vector<double> vals(const Tensor& t) { return t.contiguous().to_vector<double>(); }

}  // namespace

TEST_CASE("reductions of a 0-d tensor over dim 0 reduce one element") {
    // dim 0 of a 0-d tensor is the tensor itself: mean divides by 1, not 0.
    Tensor x = from_vector<double>({2.0}, Dims{}).requires_grad_(true);
    for (const auto& f : std::vector<std::function<Tensor(const Tensor&)>>{
             [](const Tensor& t) { return mean(t, {0}, true); }, [](const Tensor& t) { return mean(t, {-1}); },
             [](const Tensor& t) { return sum(t, {0}); }}) {
        const Tensor y = f(x);
        CHECK(y.dim() == 0);
        CHECK(y.item<double>() == 2.0);
        CHECK(vals(autograd::grad({y}, {x})[0]) == std::vector<double>{1.0});
    }
    const Tensor v = var(x, {0}, 0.0);
    CHECK(v.item<double>() == 0.0);
    CHECK(vals(autograd::grad({v}, {x})[0]) == std::vector<double>{0.0});
}

TEST_CASE("std where it is 0 has zero second derivatives, not NaN") {
    Tensor x = from_vector<double>({1.0, 2.0, 3.0}, Dims{3, 1}).requires_grad_(true);
    const Tensor s = peso::std(x, {1}, 0.0);  // one element per row: 0 whatever x is
    const Tensor g = autograd::grad({sum(s)}, {x}, {}, std::nullopt, true)[0];
    CHECK(vals(g) == std::vector<double>{0, 0, 0});
    const Tensor h = autograd::grad({sum(g)}, {x})[0];
    CHECK(vals(h) == std::vector<double>{0, 0, 0});
    const auto r = autograd::gradgradcheck([](const std::vector<Tensor>& in) -> std::vector<Tensor> {
        return {peso::std(in[0], {1}, 0.0)};
    }, {x});
    CHECK_MESSAGE(r.ok, r.report);
}
