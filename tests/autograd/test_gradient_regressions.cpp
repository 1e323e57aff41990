// Gradients that were once wrong, each pinned to the value PyTorch 1.13 gives
// (or to the convention this file names). Every case failed before its fix.
#include <doctest/doctest.h>

#include <vector>

#include "peso.h"

using namespace peso;

namespace {

Tensor leaf(const std::vector<double>& v, const Dims& shape) {
    Tensor t = from_vector<double>(v, shape);
    t.requires_grad_(true);
    return t;
}
Tensor leaf(const std::vector<double>& v) { return leaf(v, {static_cast<std::int64_t>(v.size())}); }
std::vector<double> vals(const Tensor& t) { return t.contiguous().to_vector<double>(); }

// gradcheck and gradgradcheck, both required to pass.
void check_first_and_second_order(const autograd::GradcheckFn& fn, const std::vector<Tensor>& inputs) {
    const auto first = autograd::gradcheck(fn, inputs);
    CHECK_MESSAGE(first.ok, first.report);
    const auto second = autograd::gradgradcheck(fn, inputs);
    CHECK_MESSAGE(second.ok, second.report);
}

}  // namespace

// ---- one tensor reaching a node twice -------------------------------------------------

TEST_CASE("x + x gets twice the gradient, however the second x is made") {
    const std::vector<std::function<Tensor(const Tensor&)>> twins = {
        [](const Tensor& x) { return x; },
        [](const Tensor& x) { return clone(x); },
        [](const Tensor& x) { return contiguous(x); },
        [](const Tensor& x) { return x.view({2}); },
    };
    for (std::size_t k = 0; k < twins.size(); ++k) {
        CAPTURE(k);
        Tensor x = leaf({1, 2});
        sum(add(twins[k](x), x)).backward();
        CHECK(vals(x.grad()) == std::vector<double>{2, 2});
    }
    Tensor x = leaf({1, 2});
    sum(mul(x, x)).backward();
    CHECK(vals(x.grad()) == std::vector<double>{2, 4});
    Tensor y = leaf({3});
    sum(add(add(y, y), y)).backward();
    CHECK(vals(y.grad()) == std::vector<double>{3});
}

TEST_CASE("x + x under create_graph, and its second derivative") {
    Tensor x = leaf({1, 2});
    const Tensor y = sum(mul(add(x, x), x));  // 2 x^2: dy/dx = 4x, d2y/dx2 = 4
    const Tensor g = autograd::grad({y}, {x}, {}, true, true)[0];
    CHECK(vals(g) == std::vector<double>{4, 8});
    const Tensor h = autograd::grad({sum(g)}, {x})[0];
    CHECK(vals(h) == std::vector<double>{4, 4});
}

TEST_CASE("a root listed twice gets both of its gradients") {
    Tensor x = leaf({1, 2});
    const Tensor y = mul(x, 3.0);
    autograd::backward({y, y}, {ones_like(y), full_like(y, 2.0)});
    CHECK(vals(x.grad()) == std::vector<double>{9, 9});

    Tensor z = leaf({1, 2});
    const Tensor s = sum(mul(z, z));
    const Tensor gz = autograd::grad({s, s}, {z}, {}, true, true)[0];
    CHECK(vals(gz) == std::vector<double>{4, 8});
    CHECK(vals(autograd::grad({sum(gz)}, {z})[0]) == std::vector<double>{4, 4});
}

TEST_CASE("two outputs of one node given as roots both count") {
    Tensor x = leaf({3, 1, 2});
    const auto [values, indices] = sort(x);
    autograd::backward({values, values}, {from_vector<double>({1, 2, 3}), from_vector<double>({10, 20, 30})});
    CHECK(vals(x.grad()) == std::vector<double>{33, 11, 22});
}

// ---- in-place through views -------------------------------------------------------------

TEST_CASE("in place through a view, with an upstream gradient that is a slice of a larger buffer") {
    Tensor x = leaf({1, 2, 3});
    Tensor w = leaf({10, 20});
    Tensor a = mul(x, 1.0);
    Tensor head = a.narrow(0, 0, 1);
    mul_(head, 2.0);
    const Tensor out = cat({w, a});
    out.backward(from_vector<double>({1, 1, 10, 20, 30}));
    CHECK(vals(x.grad()) == std::vector<double>{20, 20, 30});
    CHECK(vals(w.grad()) == std::vector<double>{1, 1});

    // The same with a recorded backward (it threw 'as_strided ... offset -1').
    Tensor x2 = leaf({1, 2, 3});
    Tensor a2 = mul(x2, x2);
    Tensor head2 = a2.narrow(0, 1, 2);
    mul_(head2, 3.0);
    const Tensor out2 = cat({w, a2});
    const Tensor up = from_vector<double>({0, 0, 1, 1, 1});
    const Tensor g = autograd::grad({out2}, {x2}, {up}, true, true)[0];  // 2x, times 3 on the narrowed part
    CHECK(vals(g) == std::vector<double>{2, 12, 18});
    CHECK(vals(autograd::grad({sum(g)}, {x2})[0]) == std::vector<double>{2, 6, 6});
}

TEST_CASE("in place through a view of an empty tensor") {
    Tensor x = leaf({1, 2, 3});
    Tensor a = mul(x, 2.0);
    Tensor empty_part = a.narrow(0, 1, 0);
    mul_(empty_part, 5.0);
    sum(a).backward();
    CHECK(vals(x.grad()) == std::vector<double>{2, 2, 2});

    // The base itself empty (it was refused as non-contiguous).
    for (const Dims& shape : {Dims{2, 0}, Dims{0, 3}}) {
        CAPTURE(shape);
        Tensor e = zeros(shape, DType::f64).requires_grad_(true);
        Tensor b = mul(e, 2.0);
        Tensor part = shape[0] == 2 ? b.narrow(0, 0, 1) : b.select(1, 1);
        mul_(part, 5.0);
        sum(b).backward();
        CHECK(e.grad().sizes() == shape);
    }
}

// ---- as_strided ---------------------------------------------------------------------------

TEST_CASE("as_strided with overlapping windows adds the gradients of shared elements") {
    Tensor x = leaf({1, 2, 3});
    sum(as_strided(x, {2, 2}, {1, 1}, std::nullopt)).backward();
    CHECK(vals(x.grad()) == std::vector<double>{1, 2, 1});

    Tensor y = leaf({1, 2, 3, 4});  // sliding windows of 3 with step 1, weighted
    const Tensor windows = as_strided(y, {2, 3}, {1, 1}, std::nullopt);
    sum(mul(windows, from_vector<double>({1, 2, 3, 10, 20, 30}, Dims{2, 3}))).backward();
    CHECK(vals(y.grad()) == std::vector<double>{1, 12, 23, 30});

    check_first_and_second_order(
        [](const std::vector<Tensor>& in) { return std::vector<Tensor>{as_strided(in[0], {3, 3}, {1, 1}, std::nullopt)}; },
        {leaf({0.5, -1, 2, 0.25, 3})});
}

TEST_CASE("as_strided: an empty view with a stride-0 dim has a zero gradient") {
    // An empty view reaches no element, so any offset is in bounds (PyTorch).
    for (const std::int64_t offset : {0, 3, 5}) {
        CAPTURE(offset);
        Tensor x = leaf({1, 2, 3});
        const Tensor e = as_strided(x, {0, 2}, {1, 0}, offset);
        CHECK(e.numel() == 0);
        sum(mul(e, e)).backward();
        CHECK(vals(x.grad()) == std::vector<double>{0, 0, 0});
        Tensor y = leaf({1, 2, 3});
        sum(as_strided(y, {2, 0}, {0, 1}, offset)).backward();
        CHECK(vals(y.grad()) == std::vector<double>{0, 0, 0});
    }
}

// ---- einsum --------------------------------------------------------------------------------

TEST_CASE("einsum's backward: diagonals and traces") {
    Tensor x = leaf({0, 1, 2, 3}, {2, 2});
    einsum("ii->i", {x}).backward(from_vector<double>({1, 2}));
    CHECK(vals(x.grad()) == std::vector<double>{1, 0, 0, 2});

    Tensor t = leaf({0, 1, 2, 3}, {2, 2});
    einsum("ii->", {t}).backward();
    CHECK(vals(t.grad()) == std::vector<double>{1, 0, 0, 1});

    Tensor v = leaf({1, 2});
    Tensor m = leaf({1, 2, 3, 4}, {2, 2});
    einsum("ii,i->i", {m, v}).backward(from_vector<double>({1, 1}));
    CHECK(vals(m.grad()) == std::vector<double>{1, 0, 0, 2});
    CHECK(vals(v.grad()) == std::vector<double>{1, 4});

    Generator gen(11);
    for (const char* eq : {"ii->i", "ii->", "iij->j", "ii,i->i", "iji->j", "ii,jj->ij"}) {
        CAPTURE(eq);
        std::vector<Tensor> in;
        if (std::string(eq) == "iij->j") in = {randn({3, 3, 2}, DType::f64, &gen)};
        else if (std::string(eq) == "iji->j") in = {randn({3, 2, 3}, DType::f64, &gen)};
        else if (std::string(eq) == "ii,i->i") in = {randn({3, 3}, DType::f64, &gen), randn({3}, DType::f64, &gen)};
        else if (std::string(eq) == "ii,jj->ij") in = {randn({3, 3}, DType::f64, &gen), randn({2, 2}, DType::f64, &gen)};
        else in = {randn({3, 3}, DType::f64, &gen)};
        for (Tensor& t : in) t.requires_grad_(true);
        const std::string e = eq;
        check_first_and_second_order([e](const std::vector<Tensor>& a) { return std::vector<Tensor>{einsum(e, a)}; },
                                     in);
    }
}

TEST_CASE("einsum's backward: ellipses, outer products and size-1 broadcasting") {
    Generator gen(12);
    struct Case {
        const char* eq;
        std::vector<Dims> shapes;
    };
    const std::vector<Case> cases = {
        {"...ik,...jk->...ij", {{2, 3, 4}, {2, 5, 4}}},
        {"...ik,...jk->...ij", {{3, 4}, {2, 5, 4}}},
        {"b...,b...->b", {{2, 3, 2}, {2, 3, 2}}},
        {"...->", {{2, 3}}},
        {"i,j->ij", {{3}, {4}}},
        {"ij,ij->ij", {{1, 2}, {3, 2}}},
        {"ij,ij->j", {{3, 2}, {1, 2}}},
        {"ij,jk", {{2, 3}, {3, 2}}},
        {"...ii->...i", {{2, 3, 3}}},
    };
    for (const Case& c : cases) {
        CAPTURE(c.eq);
        std::vector<Tensor> in;
        for (const Dims& s : c.shapes) in.push_back(randn(s, DType::f64, &gen).requires_grad_(true));
        const std::string e = c.eq;
        check_first_and_second_order([e](const std::vector<Tensor>& a) { return std::vector<Tensor>{einsum(e, a)}; },
                                     in);
    }
    // The broadcast operand's gradient is summed over the broadcast rows.
    Tensor a = leaf({1, 2}, {1, 2});
    Tensor b = leaf({1, 2, 3, 4, 5, 6}, {3, 2});
    sum(einsum("ij,ij->ij", {a, b})).backward();
    CHECK(vals(a.grad()) == std::vector<double>{9, 12});
    CHECK(vals(b.grad()) == std::vector<double>{1, 2, 1, 2, 1, 2});
}

// ---- edge cases ------------------------------------------------------------------------------

TEST_CASE("mm and matmul with an inner dimension of 0 give zero gradients") {
    Tensor a = zeros({2, 0}, DType::f64).requires_grad_(true);
    Tensor b = zeros({0, 3}, DType::f64).requires_grad_(true);
    sum(mm(a, b)).backward();
    CHECK(a.grad().sizes() == Dims{2, 0});
    CHECK(b.grad().sizes() == Dims{0, 3});
    Tensor c = zeros({4, 2, 0}, DType::f64).requires_grad_(true);
    Tensor w = zeros({0, 3}, DType::f64).requires_grad_(true);
    sum(matmul(c, w)).backward();
    CHECK(w.grad().sizes() == Dims{0, 3});
    Tensor d = ones({2, 3}, DType::f64).requires_grad_(true);
    Tensor e = ones({3, 0}, DType::f64).requires_grad_(true);
    sum(matmul(d, e)).backward();
    CHECK(vals(d.grad()) == std::vector<double>(6, 0.0));
}

TEST_CASE("prod: first and second order with zeros in a group") {
    Tensor x = leaf({2, 0, 3, 0});
    const Tensor g = autograd::grad({prod(x, {}, false)}, {x}, {}, true, true)[0];
    CHECK(vals(g) == std::vector<double>{0, 0, 0, 0});
    CHECK(vals(autograd::grad({sum(g)}, {x})[0]) == std::vector<double>{0, 6, 0, 6});

    Tensor y = leaf({2, 0, 3, 5});  // one zero: its gradient is the product of the rest
    sum(prod(y, {}, false)).backward();
    CHECK(vals(y.grad()) == std::vector<double>{0, 30, 0, 0});

    Generator gen(4);
    Tensor z = randn({2, 3, 4}, DType::f64, &gen);
    {
        NoGradGuard ng;
        z.select(2, 1).zero_();
        z.select(1, 2).narrow(1, 0, 2).zero_();
    }
    z.requires_grad_(true);
    check_first_and_second_order([](const std::vector<Tensor>& in) { return std::vector<Tensor>{prod(in[0], {1, 2}, true)}; },
                                 {z});
    check_first_and_second_order([](const std::vector<Tensor>& in) { return std::vector<Tensor>{prod(in[0], {0}, false)}; },
                                 {z});
}

TEST_CASE("index_select on a 0-d tensor keeps rank 0") {
    Tensor x = leaf({5}, {});
    const Tensor y = index_select(x, 0, from_vector<std::int64_t>({0}));
    CHECK(y.dim() == 0);
    CHECK(y.item<double>() == 5.0);
    y.backward();
    CHECK(x.grad().dim() == 0);
    CHECK(x.grad().item<double>() == 1.0);
    CHECK(index_select(x, 0, full({}, 0, DType::i64)).dim() == 0);
    CHECK_THROWS_AS(index_select(x, 0, from_vector<std::int64_t>({0, 0})), ShapeError);
}

TEST_CASE("clamp with min > max gives max everywhere and no gradient") {
    Tensor x = leaf({1, 5, 9});
    const Tensor y = clamp(x, Scalar(6.0), Scalar(4.0));
    CHECK(vals(y) == std::vector<double>{4, 4, 4});
    sum(y).backward();
    CHECK(vals(x.grad()) == std::vector<double>{0, 0, 0});
    CHECK(clamp(from_vector<std::int64_t>({1, 5, 9}), Scalar(6), Scalar(4)).to_vector<std::int64_t>() ==
          std::vector<std::int64_t>{4, 4, 4});
    CHECK(clamp(from_vector<float>({1, 5, 9}), Scalar(6.0), Scalar(4.0)).to_vector<float>() ==
          std::vector<float>{4, 4, 4});
}

TEST_CASE("std where it is 0 has a zero gradient, as in PyTorch") {
    Tensor x = leaf({3, 4}, {2, 1});
    sum(peso::std(x, {1}, 0.0, false)).backward();  // one element, no correction: std 0
    CHECK(vals(x.grad()) == std::vector<double>{0, 0});
    Tensor c = leaf({3, 3});
    peso::std(c, {}, 1.0, false).backward();
    CHECK(vals(c.grad()) == std::vector<double>{0, 0});
}
