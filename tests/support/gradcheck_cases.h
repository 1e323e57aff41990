#pragma once
// The cases of the gradcheck suite (tests/gradcheck), shared with its run on
// the emulated CUDA device (tests/cuda): one or more per differentiable op,
// each with float64 cpu inputs and a function of them. Constants a function
// makes (index tensors, masks) follow its first input's device, so that the
// same function runs on cuda inputs.
#include <functional>
#include <string>
#include <vector>

#include "autograd/op_registry.h"
#include "peso.h"

namespace peso::testing {

using autograd::GradcheckOptions;

using TL = std::vector<Tensor>;

struct Inputs {
    Generator gen;
    explicit Inputs(std::uint64_t seed) : gen(seed) {}
    // A float64 leaf that requires grad, values in [lo, hi); layouts vary.
    Tensor p(const Dims& shape, double lo = -1.0, double hi = 1.0, bool transposed = false) {
        Tensor t = c(shape, lo, hi, transposed);
        t.requires_grad_(true);
        return t;
    }
    // A float64 constant (no grad).
    Tensor c(const Dims& shape, double lo = -1.0, double hi = 1.0, bool transposed = false) {
        NoGradGuard g;
        if (!transposed || shape.size() < 2) {
            Tensor t = empty(shape, DType::f64);
            return uniform_(t, lo, hi, &gen);
        }
        Dims rev = shape;
        std::swap(rev[0], rev[rev.size() - 1]);
        Tensor t = empty(rev, DType::f64);
        uniform_(t, lo, hi, &gen);
        return t.transpose(0, rev.size() - 1);
    }
    // A random size in [lo, hi]: cases draw their shapes from the seed.
    std::int64_t n(std::int64_t lo = 1, std::int64_t hi = 4) {
        return randint(lo, hi + 1, {1}, {}, &gen).item<std::int64_t>();
    }
    // Values away from each other (no ties), shuffled.
    Tensor distinct(const Dims& shape) {
        NoGradGuard g;
        const std::int64_t n = shape.product();
        Tensor perm = randperm(n, {}, &gen).to(DType::f64);
        Tensor t = add(mul(perm, 0.1), 0.05).reshape(shape).contiguous();
        t.requires_grad_(true);
        return t;
    }
};

struct GradCase {
    std::string op;  // the registry name it covers
    std::function<TL(Inputs&)> make;
    autograd::GradcheckFn fn;
    GradcheckOptions opts{};
};

inline std::vector<GradCase> cases() {
    std::vector<GradCase> cs;
    auto add_case = [&](std::string op, std::function<TL(Inputs&)> make, autograd::GradcheckFn fn,
                        GradcheckOptions opts = {}) { cs.push_back({std::move(op), std::move(make), std::move(fn), opts}); };
    auto one = [](auto f) { return [f](const TL& x) -> TL { return {f(x)}; }; };

    // ---- copies, conversions, fills
    add_case("contiguous", [](Inputs& in) { return TL{in.p({3, 4}, -1, 1, true)}; }, one([](const TL& x) { return contiguous(x[0]); }));
    add_case("clone", [](Inputs& in) { return TL{in.p({2, 3})}; }, one([](const TL& x) { return mul(clone(x[0]), x[0]); }));
    add_case("to_dtype", [](Inputs& in) { return TL{in.p({2, 3})}; },
             one([](const TL& x) { return to_dtype(mul(to_dtype(x[0], DType::f32), 2.0), DType::f64); }), {1e-3, 1e-3, 1e-2});
    add_case("to_device", [](Inputs& in) { return TL{in.p({3})}; }, one([](const TL& x) { return mul(to_device(to_device(x[0], Device::cpu()), x[0].device()), x[0]); }));
    add_case("copy_", [](Inputs& in) { return TL{in.p({3}), in.p({2, 3})}; }, one([](const TL& x) {
        Tensor buf = mul(x[1], 1.0);
        buf.copy_(mul(x[0], 2.0));  // broadcast source
        Tensor z = zeros({4, 3}, TensorOptions(DType::f64).device(x[0].device()));
        z.narrow(0, 1, 2).copy_(buf);
        return mul(z, z);
    }));
    add_case("fill_", [](Inputs& in) { return TL{in.p({3, 2})}; }, one([](const TL& x) {
        Tensor y = mul(x[0], x[0]);
        y.select(0, 1).fill_(2.0);
        return y;
    }));
    add_case("zero_", [](Inputs& in) { return TL{in.p({3, 2})}; }, one([](const TL& x) {
        Tensor y = mul(x[0], 3.0);  // (exp would save y, and zero_ would rightly be refused)
        y.narrow(1, 0, 1).zero_();
        return y;
    }));
    add_case("uniform_", [](Inputs& in) { return TL{in.p({4})}; }, one([](const TL& x) {
        Generator g(1);
        Tensor y = mul(x[0], 3.0);
        Tensor part = y.narrow(0, 0, 2);
        uniform_(part, 0.0, 1.0, &g);
        return y;
    }));
    add_case("normal_", [](Inputs& in) { return TL{in.p({4})}; }, one([](const TL& x) {
        Generator g(2);
        Tensor y = mul(x[0], 3.0);
        Tensor part = y.narrow(0, 2, 2);
        normal_(part, 0.0, 1.0, &g);
        return y;
    }));

    // ---- views
    add_case("view", [](Inputs& in) { return TL{in.p({2, 6})}; }, one([](const TL& x) { return mul(x[0].view({3, 4}), 2.0); }));
    add_case("reshape", [](Inputs& in) { return TL{in.p({3, 4}, -1, 1, true)}; }, one([](const TL& x) { return reshape(x[0], {2, 6}); }));
    add_case("permute", [](Inputs& in) { return TL{in.p({2, 3, 4})}; }, one([](const TL& x) { return x[0].permute({2, 0, 1}).contiguous(); }));
    add_case("transpose", [](Inputs& in) { return TL{in.p({2, 3}), in.p({2, 3})}; },
             one([](const TL& x) { return matmul(x[0].transpose(0, 1), x[1]); }));
    add_case("narrow", [](Inputs& in) { return TL{in.p({4, 3})}; }, one([](const TL& x) { return x[0].narrow(0, 1, 2); }));
    add_case("slice", [](Inputs& in) { return TL{in.p({5, 3})}; }, one([](const TL& x) { return x[0].slice(0, 0, 5, 2); }));
    add_case("select", [](Inputs& in) { return TL{in.p({3, 4})}; }, one([](const TL& x) { return x[0].select(1, -1); }));
    add_case("diagonal", [](Inputs& in) { return TL{in.p({3, 4})}; }, one([](const TL& x) { return diagonal(x[0], 1); }));
    add_case("as_strided", [](Inputs& in) { return TL{in.p({6})}; },
             one([](const TL& x) { return x[0].as_strided({2, 2}, {2, 1}, 1); }));
    add_case("expand", [](Inputs& in) { return TL{in.p({3, 1})}; }, one([](const TL& x) { return x[0].expand({2, 3, 4}); }));
    add_case("squeeze", [](Inputs& in) { return TL{in.p({3, 1, 2})}; }, one([](const TL& x) { return mul(x[0].squeeze(1), 2.0); }));
    add_case("unsqueeze", [](Inputs& in) { return TL{in.p({3, 2})}; }, one([](const TL& x) { return mul(x[0].unsqueeze(0), 2.0); }));
    add_case("flatten", [](Inputs& in) { return TL{in.p({2, 3, 2}, -1, 1, true)}; }, one([](const TL& x) { return x[0].flatten(); }));
    add_case("unflatten", [](Inputs& in) { return TL{in.p({6})}; }, one([](const TL& x) { return mul(x[0].unflatten(0, {2, 3}), 2.0); }));

    // ---- elementwise unary (domains keep away from kinks and poles)
    const std::vector<std::tuple<std::string, Tensor (*)(const Tensor&), double, double>> unary = {
        {"neg", neg, -1, 1},     {"exp", exp, -1, 1},          {"log", log, 0.5, 2},    {"log1p", log1p, -0.5, 1},
        {"sqrt", sqrt, 0.5, 2},  {"rsqrt", rsqrt, 0.5, 2},     {"sin", sin, -2, 2},     {"cos", cos, -2, 2},
        {"tanh", tanh, -2, 2},   {"sigmoid", sigmoid, -3, 3},  {"erf", erf, -1.5, 1.5}, {"reciprocal", reciprocal, 0.5, 2},
        {"sign", sign, -1, 1},   {"floor", floor, 0.1, 0.9},   {"ceil", ceil, 0.1, 0.9}, {"round", round, 0.1, 0.4}};
    for (const auto& [name, f, lo, hi] : unary) {
        const double l = lo, h = hi;
        auto fn = f;
        add_case(name, [l, h](Inputs& in) { return TL{in.p({in.n(), in.n(2, 4)}, l, h, true)}; }, one([fn](const TL& x) { return fn(x[0]); }));
    }
    add_case("abs", [](Inputs& in) { return TL{in.distinct({2, 3})}; }, one([](const TL& x) { return abs(sub(x[0], 0.3)); }));
    add_case("relu", [](Inputs& in) { return TL{in.distinct({2, 3})}; }, one([](const TL& x) { return relu(sub(x[0], 0.28)); }));
    add_case("gelu", [](Inputs& in) { return TL{in.p({2, 3}, -3, 3)}; }, one([](const TL& x) { return gelu(x[0]); }));
    add_case("gelu_tanh", [](Inputs& in) { return TL{in.p({2, 3}, -3, 3)}; }, one([](const TL& x) { return gelu(x[0], "tanh"); }));
    add_case("pow_scalar", [](Inputs& in) { return TL{in.p({2, 3}, 0.5, 2)}; },
             [](const TL& x) -> TL { return {pow(x[0], 3), pow(x[0], -1.5), pow(x[0], 0.5)}; });
    add_case("clamp", [](Inputs& in) { return TL{in.distinct({3, 3})}; }, one([](const TL& x) { return clamp(x[0], 0.22, 0.68); }));

    // ---- elementwise binary, with broadcasting
    const std::vector<std::pair<std::string, Tensor (*)(const Tensor&, const Tensor&)>> bin = {
        {"mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); }},
        {"div", [](const Tensor& a, const Tensor& b) { return div(a, b); }},
        {"pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); }},
    };
    for (const auto& [name, f] : bin) {
        auto fn = f;
        add_case(name, [](Inputs& in) {
            const std::int64_t cols = in.n(2, 4);
            return TL{in.p({in.n(), cols}, 0.5, 1.5, true), in.p({cols}, 0.5, 1.5)};  // broadcast row
        },
                 one([fn](const TL& x) { return fn(x[0], x[1]); }));
    }
    add_case("add", [](Inputs& in) { return TL{in.p({in.n(), 1}), in.p({1, in.n()})}; },
             [](const TL& x) -> TL { return {add(x[0], x[1], 0.5), add(x[0], 2.0)}; });
    add_case("sub", [](Inputs& in) { return TL{in.p({2, 3}), in.p({3})}; },
             [](const TL& x) -> TL { return {sub(x[0], x[1], 2.0), sub(1.0, x[1])}; });
    add_case("maximum", [](Inputs& in) { return TL{in.distinct({2, 3}), in.distinct({2, 3})}; },
             one([](const TL& x) { return maximum(x[0], add(x[1], 0.05)); }));
    add_case("minimum", [](Inputs& in) { return TL{in.distinct({2, 3}), in.distinct({3})}; },
             one([](const TL& x) { return minimum(x[0], add(x[1], 0.01)); }));
    add_case("remainder", [](Inputs& in) { return TL{in.p({2, 3}, 0.1, 0.9), in.p({2, 3}, 1.5, 2.0)}; },
             one([](const TL& x) { return remainder(x[0], x[1]); }));
    add_case("where", [](Inputs& in) { return TL{in.p({2, 3}), in.p({3})}; }, one([](const TL& x) {
        return where(from_vector<bool>({true, false, true, false, false, true}, Dims{2, 3}).to(x[0].device()), x[0], x[1]);
    }));
    add_case("masked_fill", [](Inputs& in) { return TL{in.p({2, 3})}; },
             one([](const TL& x) { return masked_fill(x[0], from_vector<bool>({true, false, true}).to(x[0].device()), -1.0); }));

    // ---- reductions
    add_case("sum", [](Inputs& in) { return TL{in.p({in.n(), in.n(), in.n()}, -1, 1, true)}; },
             [](const TL& x) -> TL { return {sum(x[0]), sum(x[0], {0, 2}), sum(x[0], {1}, true)}; });
    add_case("mean", [](Inputs& in) { return TL{in.p({in.n(), in.n(), in.n()})}; },
             [](const TL& x) -> TL { return {mean(x[0]), mean(x[0], {-1}, true)}; });
    add_case("prod", [](Inputs& in) { return TL{in.p({2, 3}, 0.5, 1.5)}; },
             [](const TL& x) -> TL { return {prod(x[0], {1}), prod(x[0])}; });
    add_case("var", [](Inputs& in) { return TL{in.p({3, 4})}; },
             [](const TL& x) -> TL { return {var(x[0], {1}), var(x[0], {}, 0.0, true)}; });
    add_case("std", [](Inputs& in) { return TL{in.p({3, 4})}; }, one([](const TL& x) { return peso::std(x[0], {0}); }));
    add_case("amax", [](Inputs& in) { return TL{in.distinct({3, 4})}; }, one([](const TL& x) { return amax(x[0], {1}); }));
    add_case("amin", [](Inputs& in) { return TL{in.distinct({3, 4})}; }, one([](const TL& x) { return amin(x[0], {0}, true); }));
    add_case("max", [](Inputs& in) { return TL{in.distinct({3, 4})}; }, one([](const TL& x) { return std::get<0>(max(x[0], 1)); }));
    add_case("min", [](Inputs& in) { return TL{in.distinct({3, 4})}; }, one([](const TL& x) { return std::get<0>(min(x[0], 0, true)); }));
    add_case("logsumexp", [](Inputs& in) { return TL{in.p({in.n(), in.n(2, 5)}, -2, 2, true)}; }, one([](const TL& x) { return logsumexp(x[0], {1}); }));

    // ---- linear algebra
    add_case("matmul", [](Inputs& in) { return TL{in.p({2, 3, 4}), in.p({4, 2}, -1, 1, true), in.p({4}), in.p({3})}; },
             [](const TL& x) -> TL {
                 return {matmul(x[0], x[1]), matmul(x[0], x[2]), matmul(x[3], x[0].select(0, 0)), matmul(x[2], x[2])};
             });
    add_case("mm", [](Inputs& in) { return TL{in.p({3, 4}), in.p({4, 2}, -1, 1, true)}; }, one([](const TL& x) { return mm(x[0], x[1]); }));
    add_case("bmm", [](Inputs& in) {
        const std::int64_t b = in.n(1, 2), k = in.n();
        return TL{in.p({b, in.n(), k}), in.p({b, k, in.n()}, -1, 1, true)};
    }, one([](const TL& x) { return bmm(x[0], x[1]); }));
    add_case("einsum", [](Inputs& in) { return TL{in.p({3, 4}), in.p({4, 3}), in.p({2, 2, 3, 2}), in.p({2, 2, 4, 2})}; },
             [](const TL& x) -> TL {
                 return {einsum("ij,ji->i", {x[0], x[1]}), einsum("bhqd,bhkd->bhqk", {x[2], x[3]}),
                         einsum("ij->j", {x[0]})};
             });

    // ---- normalization
    add_case("softmax", [](Inputs& in) { return TL{in.p({in.n(), in.n(2, 5)}, -2, 2, true)}; },
             [](const TL& x) -> TL { return {softmax(x[0], -1), softmax(x[0], 0)}; });
    add_case("log_softmax", [](Inputs& in) { return TL{in.p({in.n(), in.n(2, 5)}, -2, 2)}; }, one([](const TL& x) { return log_softmax(x[0], 1); }));
    add_case("cross_entropy", [](Inputs& in) { return TL{in.p({4, 5}, -2, 2)}; }, one([](const TL& x) {
        // Row 1 is ignored: its loss and gradient are 0.
        const Tensor target = from_vector<std::int64_t>({0, 4, 2, 4}).to(x[0].device());
        const Tensor valid = from_vector<std::int64_t>({1, 0, 1, 1}).to(DType::b8).to(x[0].device());
        return cross_entropy_rows(x[0], target, valid);
    }));
    add_case("layer_norm", [](Inputs& in) { return TL{in.p({2, 3, 4}, -2, 2), in.p({4}, 0.5, 1.5), in.p({4})}; },
             [](const TL& x) -> TL {
                 return {std::get<0>(layer_norm(x[0], {4}, x[1], x[2])), std::get<0>(layer_norm(x[0], {3, 4}, Tensor(), Tensor()))};
             }, {1e-6, 1e-5, 1e-3});

    // ---- indexing
    add_case("embedding", [](Inputs& in) { return TL{in.p({5, 3})}; },
             one([](const TL& x) { return embedding(x[0], from_vector<std::int64_t>({1, 4, 1, 0}, Dims{2, 2}).to(x[0].device())); }));
    add_case("index_select", [](Inputs& in) { return TL{in.p({3, 4})}; },
             one([](const TL& x) { return index_select(x[0], 1, from_vector<std::int64_t>({3, 0, 3}).to(x[0].device())); }));
    add_case("gather", [](Inputs& in) { return TL{in.p({3, 4})}; },
             one([](const TL& x) { return gather(x[0], 1, from_vector<std::int64_t>({0, 3, 1, 1, 2, 2}, Dims{3, 2}).to(x[0].device())); }));
    add_case("scatter", [](Inputs& in) { return TL{in.p({3, 4}), in.p({3, 2})}; }, [](const TL& x) -> TL {
        const Tensor idx = from_vector<std::int64_t>({0, 3, 1, 2, 2, 0}, Dims{3, 2}).to(x[0].device());
        return {scatter(x[0], 1, idx, x[1]), scatter(x[0], 1, idx, 5.0)};
    });
    add_case("scatter_add", [](Inputs& in) { return TL{in.p({3, 4}), in.p({3, 2})}; }, one([](const TL& x) {
        return scatter_add(x[0], 1, from_vector<std::int64_t>({0, 0, 1, 2, 3, 3}, Dims{3, 2}).to(x[0].device()), x[1]);
    }));
    add_case("index_add", [](Inputs& in) { return TL{in.p({4, 3}), in.p({3, 3})}; }, one([](const TL& x) {
        return index_add(x[0], 0, from_vector<std::int64_t>({1, 3, 1}).to(x[0].device()), x[1], 2.0);
    }));

    // ---- joining, ordering
    add_case("cat", [](Inputs& in) { return TL{in.p({2, 3}), in.p({1, 3}), in.p({2, 2})}; }, [](const TL& x) -> TL {
        return {cat({x[0], x[1]}, 0), cat({x[0], x[2]}, 1), stack({x[0], x[0]}, 1)};
    });
    add_case("tril", [](Inputs& in) { return TL{in.p({3, 4})}; }, one([](const TL& x) { return tril(x[0], -1); }));
    add_case("triu", [](Inputs& in) { return TL{in.p({2, 3, 3})}; }, one([](const TL& x) { return triu(x[0]); }));
    add_case("sort", [](Inputs& in) { return TL{in.distinct({3, 4})}; },
             [](const TL& x) -> TL { return {std::get<0>(sort(x[0], 1)), std::get<0>(sort(x[0], 0, true))}; });
    add_case("topk", [](Inputs& in) { return TL{in.distinct({3, 5})}; }, one([](const TL& x) { return std::get<0>(topk(x[0], 2, 1)); }));
    add_case("cumsum", [](Inputs& in) { return TL{in.p({3, 4})}; },
             [](const TL& x) -> TL { return {cumsum(x[0], 1), cumsum(x[0], 0)}; });
    // Checkpointing records the ops of its function (recomputed in backward),
    // not a node of its own: this case is one of matmul's.
    add_case("matmul", [](Inputs& in) { return TL{in.p({2, 3}), in.p({3, 3})}; }, [](const TL& x) -> TL {
        return autograd::checkpoint([](const TL& in) -> TL { return {tanh(matmul(in[0], in[1]))}; }, {x[0], x[1]});
    });
    return cs;
}

// fn with its inputs copied to `device` and its outputs copied back: the
// copies are part of the graph, so forward and backward both run on `device`
// while gradcheck perturbs cpu inputs.
inline autograd::GradcheckFn on_device(autograd::GradcheckFn fn, Device device) {
    return [fn = std::move(fn), device](const TL& x) -> TL {
        TL moved;
        for (const Tensor& t : x) moved.push_back(t.defined() ? t.to(device) : t);
        TL out = fn(moved);
        for (Tensor& o : out) {
            if (!o.defined()) continue;
            PESO_CHECK(o.device() == device, DeviceError, "on_device: an output is on {}, expected {}", o.device(),
                       device);
            o = o.to(Device::cpu());
        }
        return out;
    };
}

// The gradient of sum(fn's outputs * fixed random weights) with respect to
// the case's inputs that require grad (zeros where one does not reach them).
inline TL analytic_gradient(const GradCase& c, const autograd::GradcheckFn& fn, std::uint64_t seed) {
    Inputs in(seed);
    const TL x = c.make(in);
    TL wrt;
    for (const Tensor& t : x)
        if (t.requires_grad()) wrt.push_back(t);
    const TL outs = fn(x);
    Generator gen(seed + 1);
    TL roots, grads;
    for (const Tensor& o : outs) {
        if (!o.requires_grad()) continue;
        roots.push_back(o);
        grads.push_back(randn(o.sizes(), TensorOptions(o.dtype()), &gen));
    }
    TL g = autograd::grad(roots, wrt, grads, std::nullopt, false, true);
    for (std::size_t i = 0; i < g.size(); ++i)
        if (!g[i].defined()) g[i] = zeros(wrt[i].sizes(), DType::f64);
    return g;
}

}  // namespace peso::testing
