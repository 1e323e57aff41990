// Bugs that the PyTorch differential cases (tests/differential,
// scripts/make_torch_differential.py) found, each pinned to what PyTorch 1.13
// gives. Every case failed before its fix.
#include <doctest/doctest.h>

#include <vector>

#include "peso.h"

using namespace peso;

namespace {

std::vector<double> vals(const Tensor& t) { return t.to(DType::f64).contiguous().to_vector<double>(); }

}  // namespace

TEST_CASE("add and sub with alpha compute alpha * other in the dtype the op promotes to") {
    // Differential case: sub(0-d float64, int64 tensor, alpha=0.5) gave float32: alpha * other
    // was formed first, as float32 (an integer tensor times a float), which then outranked the
    // 0-d float64. PyTorch promotes self and other first: float64.
    const Tensor ints = from_vector<std::int64_t>({2, -1});
    Tensor a = from_vector<double>({-1.9496}, Dims{}).requires_grad_(true);
    const Tensor d = sub(a, ints, 0.5);
    CHECK(d.dtype() == DType::f64);
    CHECK(vals(d) == std::vector<double>{-1.9496 - 1.0, -1.9496 + 0.5});
    CHECK(vals(autograd::grad({d}, {a}, {from_vector<double>({1.0, 2.0})})[0]) == std::vector<double>{3.0});
    const Tensor s = add(from_vector<double>({0.25}, Dims{}), ints, 0.1);
    CHECK(s.dtype() == DType::f64);
    CHECK(vals(s) == std::vector<double>{0.25 + 2 * 0.1, 0.25 - 1 * 0.1});  // 0.1 in float64, not float32
    // In place, without a graph: the product is formed in float64 too.
    Tensor t = zeros({2}, DType::f64);
    {
        NoGradGuard g;
        add_(t, from_vector<std::int64_t>({3, 1}), 0.1);
        CHECK(vals(t) == std::vector<double>{3 * 0.1, 0.1});
        sub_(t, from_vector<std::int64_t>({3, 1}), 0.1);
        CHECK(vals(t) == std::vector<double>{3 * 0.1 - 3 * 0.1, 0.0});
    }
}
