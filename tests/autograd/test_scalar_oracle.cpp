// A micrograd-style scalar autograd, written here as an independent oracle:
// peso's gradients of a small MLP must agree with it to 1e-12 in float64.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <set>

#include "peso.h"

using namespace peso;

namespace {

struct Value;
using V = std::shared_ptr<Value>;

struct Value {
    double data = 0, grad = 0;
    std::vector<V> parents;
    std::function<void()> backward_fn = [] {};
};

V val(double d) {
    auto v = std::make_shared<Value>();
    v->data = d;
    return v;
}
V operator+(const V& a, const V& b) {
    V out = val(a->data + b->data);
    out->parents = {a, b};
    Value* o = out.get();
    out->backward_fn = [a, b, o] { a->grad += o->grad; b->grad += o->grad; };
    return out;
}
V operator*(const V& a, const V& b) {
    V out = val(a->data * b->data);
    out->parents = {a, b};
    Value* o = out.get();
    out->backward_fn = [a, b, o] { a->grad += b->data * o->grad; b->grad += a->data * o->grad; };
    return out;
}
V tanh_v(const V& a) {
    V out = val(std::tanh(a->data));
    out->parents = {a};
    Value* o = out.get();
    out->backward_fn = [a, o] { a->grad += (1 - o->data * o->data) * o->grad; };
    return out;
}
void backprop(const V& root) {
    std::vector<Value*> topo;
    std::set<Value*> seen;
    std::function<void(Value*)> build = [&](Value* v) {
        if (!seen.insert(v).second) return;
        for (const V& p : v->parents) build(p.get());
        topo.push_back(v);
    };
    build(root.get());
    root->grad = 1;
    for (auto it = topo.rbegin(); it != topo.rend(); ++it) (*it)->backward_fn();
}

}  // namespace

TEST_CASE("peso matches a scalar autograd oracle on an MLP to 1e-12") {
    Generator gen(42);
    const int n_in = 3, n_hidden = 4, n_samples = 5;
    const Tensor X = randn({n_samples, n_in}, DType::f64, &gen);
    Tensor W1 = randn({n_in, n_hidden}, DType::f64, &gen), b1 = randn({n_hidden}, DType::f64, &gen);
    Tensor W2 = randn({n_hidden, 1}, DType::f64, &gen), b2 = randn({1}, DType::f64, &gen);
    for (Tensor* p : {&W1, &b1, &W2, &b2}) p->requires_grad_(true);
    const Tensor y = randn({n_samples, 1}, DType::f64, &gen);
    // peso: loss = sum((tanh(X W1 + b1) W2 + b2 - y)^2)
    const Tensor pred = add(matmul(tanh(add(matmul(X, W1), b1)), W2), b2);
    const Tensor diff = sub(pred, y);
    sum(mul(diff, diff)).backward();

    // the oracle, scalar by scalar
    auto grid = [](const Tensor& t) {
        std::vector<V> v;
        for (double d : t.to_vector<double>()) v.push_back(val(d));
        return v;
    };
    auto xs = grid(X), w1 = grid(W1.detach()), bb1 = grid(b1.detach()), w2 = grid(W2.detach()), bb2 = grid(b2.detach()),
         ys = grid(y);
    V loss = val(0);
    for (int s = 0; s < n_samples; ++s) {
        V out = bb2[0];
        for (int h = 0; h < n_hidden; ++h) {
            V act = bb1[h];
            for (int i = 0; i < n_in; ++i) act = act + xs[s * n_in + i] * w1[i * n_hidden + h];
            out = out + tanh_v(act) * w2[h];
        }
        V d = out + val(-1) * ys[s];
        loss = loss + d * d;
    }
    backprop(loss);
    auto check = [](const Tensor& grad, const std::vector<V>& oracle) {
        const auto g = grad.to_vector<double>();
        REQUIRE(g.size() == oracle.size());
        for (std::size_t i = 0; i < g.size(); ++i) CHECK(std::abs(g[i] - oracle[i]->grad) <= 1e-12);
    };
    check(W1.grad(), w1);
    check(b1.grad(), bb1);
    check(W2.grad(), w2);
    check(b2.grad(), bb2);
}
