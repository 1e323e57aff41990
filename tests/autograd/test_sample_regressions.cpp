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
    const auto r = autograd::gradgradcheck(
        [](const std::vector<Tensor>& in) -> std::vector<Tensor> { return {peso::std(in[0], {1}, 0.0)}; }, {x});
    CHECK_MESSAGE(r.ok, r.report);
}

TEST_CASE("a view op that changes nothing still returns a new view, and its input stays a leaf") {
    // squeeze of a dim whose size is not 1, of a 0-d tensor, and transpose of
    // a 0-d tensor used to return their input itself: recording the view then
    // made the leaf a view of itself with a grad_fn.
    Tensor x = from_vector<double>({1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, Dims{2, 3}).requires_grad_(true);
    Tensor s = from_vector<double>({3.0}, Dims{}).requires_grad_(true);
    const std::vector<std::pair<Tensor, Tensor>> cases = {
        {x, x.squeeze(0)}, {s, s.squeeze(0)}, {s, s.transpose(0, -1)}, {s, peso::transpose(s, 0, 0)}};
    for (const auto& [in, out] : cases) {
        CHECK_FALSE(out.is_same(in));
        CHECK(out.sizes() == in.sizes());
        CHECK(in.is_leaf());
        CHECK_FALSE(out.is_leaf());
        sum(mul(out, out)).backward();
    }
    CHECK(vals(x.grad()) == std::vector<double>{2, 4, 6, 8, 10, 12});
    CHECK(vals(s.grad()) == std::vector<double>{18});  // three uses, 2 * 3 each
}
