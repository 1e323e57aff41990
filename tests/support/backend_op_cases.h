#pragma once
// The op cases of the backend conformance suite (tests/conformance), shared
// with its run on the emulated CUDA device (tests/cuda): each case builds its
// inputs through a Ctx — random values in a given memory layout, on a given
// device — and returns the outputs to compare with the reference backend's.
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "peso.h"
#include "tests/support/random_inputs.h"

namespace peso::testing {


struct Size {
    std::int64_t lo, hi;
};

// How a case's float32 tensors are made: as float32 (native); as bfloat16
// (bf16: the case runs in bf16); or as float32 holding the bf16 run's values
// (bf16_values: the float32 oracle the bf16 run is compared with).
enum class Precision { native, bf16, bf16_values };

// What an op case sees: a generator for its inputs, the layout to use for
// them, and a size range (small, zero-size or large).
struct Ctx {
    Generator& gen;
    Layout layout;
    Size size;
    Device device = Device::cpu();  // where inputs live and ops run
    Precision precision = Precision::native;
    DType float32_as() const { return precision == Precision::bf16 ? DType::bf16 : DType::f32; }
    TensorOptions opts() const { return TensorOptions(float32_as()).device(device); }
    TensorOptions opts(DType t) const { return TensorOptions(t == DType::f32 ? float32_as() : t).device(device); }
    Dims shape(int ndim) { return random_shape(ndim, gen, size.lo, size.hi); }
    Tensor input(const Dims& s, DType t = DType::f32, double lo = -2.0, double hi = 2.0) {
        if (t != DType::f32 || precision == Precision::native) return random_tensor(s, t, layout, gen, lo, hi, device);
        const Tensor h = random_tensor(s, DType::bf16, layout, gen, lo, hi, device);
        return precision == Precision::bf16 ? h : h.to(DType::f32);  // the oracle's layout does not matter
    }
    // Valid indices into a dim of size n (an empty index when n is 0).
    Tensor index(std::int64_t n, Dims s) {
        if (n == 0 && !s.empty()) s[0] = 0;
        if (s.product() == 0) return zeros(s, opts(DType::i64));
        return randint(0, n, s, {}, &gen).to(device);  // drawn on the cpu: the same indices on every device
    }
};

struct OpCase {
    std::string name;
    std::function<std::vector<Tensor>(Ctx&)> run;
    double rtol = 1e-5;
    double atol = 1e-6;
    bool large = true;  // also run at large sizes
    bool empty_ok = true;  // also run with zero-size dims (false: the op rightly refuses them)
};

template <typename... T> std::vector<Tensor> outs(T... t) { return {t...}; }

inline std::vector<OpCase> unary_cases() {
    std::vector<OpCase> cases;
    const std::pair<const char*, Tensor (*)(const Tensor&)> fns[] = {
        {"neg", neg},     {"abs", abs},         {"exp", exp},     {"sin", sin},       {"cos", cos},
        {"tanh", tanh},   {"sigmoid", sigmoid}, {"relu", relu},   {"erf", erf},       {"sign", sign},
        {"floor", floor}, {"ceil", ceil},       {"round", round}, {"reciprocal", reciprocal},
        {"logical_not", logical_not}, {"isnan", isnan}, {"isinf", isinf}};
    // Named copies, not a structured binding: clang (16) cannot capture one in a lambda under OpenMP.
    for (const auto& [name, f] : fns) {
        const auto fn = f;
        cases.push_back({name, [fn](Ctx& c) {
            return outs(fn(c.input(c.shape(3))), fn(c.input(c.shape(2), DType::f64)));
        }});
    }
    const std::pair<const char*, Tensor (*)(const Tensor&)> positive[] = {
        {"log", log}, {"log1p", log1p}, {"sqrt", sqrt}, {"rsqrt", rsqrt}};
    for (const auto& [name, f] : positive) {
        const auto fn = f;
        cases.push_back({name, [fn](Ctx& c) { return outs(fn(c.input(c.shape(3), DType::f32, 0.01, 5.0))); }});
    }
    cases.push_back({"neg_int", [](Ctx& c) { return outs(neg(c.input(c.shape(3), DType::i64, -50, 50))); }});
    cases.push_back({"abs_int", [](Ctx& c) { return outs(abs(c.input(c.shape(2), DType::i32, -50, 50))); }});
    cases.push_back({"gelu_erf", [](Ctx& c) { return outs(gelu(c.input(c.shape(3), DType::f32, -5, 5))); }});
    cases.push_back({"leaky_relu", [](Ctx& c) {
        return outs(leaky_relu(c.input(c.shape(3))), leaky_relu(c.input(c.shape(2), DType::f64), 0.2),
                    leaky_relu(c.input(c.shape(2), DType::i64, -5, 5)));
    }});
    cases.push_back({"softplus", [](Ctx& c) {
        const Tensor x = c.input(c.shape(3), DType::f32, -30, 30);  // both sides of the threshold
        return outs(softplus(x), softplus(x, 0.5, 5.0), softplus(c.input(c.shape(2), DType::f64, -5, 5), 2.0));
    }});
    cases.push_back({"gelu_tanh", [](Ctx& c) { return outs(gelu(c.input(c.shape(3), DType::f32, -5, 5), "tanh")); }});
    cases.push_back({"pow_scalar", [](Ctx& c) {
        const Tensor x = c.input(c.shape(3), DType::f32, 0.1, 3.0);
        return outs(pow(x, 2), pow(x, 0.5), pow(x, -1.5), pow(c.input(c.shape(2), DType::i64, -5, 5), 3));
    }});
    cases.push_back({"clamp", [](Ctx& c) {
        const Tensor x = c.input(c.shape(3));
        return outs(clamp(x, -0.5, 0.7), clamp(x, std::nullopt, 0.1), clamp(c.input(c.shape(2), DType::i64, -9, 9), 2, 5));
    }});
    return cases;
}

inline std::vector<OpCase> binary_cases() {
    std::vector<OpCase> cases;
    using Fn = Tensor (*)(const Tensor&, const Tensor&);
    const std::pair<const char*, Fn> fns[] = {
        {"mul", mul}, {"maximum", maximum}, {"minimum", minimum}, {"eq", eq}, {"ne", ne}, {"lt", lt},
        {"le", le}, {"gt", gt}, {"ge", ge}, {"logical_and", logical_and}, {"logical_or", logical_or},
        {"logical_xor", logical_xor}};
    for (const auto& [name, f] : fns) {
        const auto fn = f;
        cases.push_back({name, [fn](Ctx& c) {
            // b has size-1 dims to broadcast against a.
            const Dims s = c.shape(3);
            Dims sb = s;
            sb[1] = 1;
            return outs(fn(c.input(s), c.input(sb)), fn(c.input(s, DType::i64, -3, 3), c.input({s[2]}, DType::i64, -3, 3)),
                        fn(c.input(s, DType::f64), c.input(s, DType::f32)));
        }});
    }
    cases.push_back({"add", [](Ctx& c) {
        const Dims s = c.shape(4);
        return outs(add(c.input(s), c.input({s[3]})), add(c.input(s, DType::i32, -9, 9), c.input(s, DType::i64, -9, 9)),
                    add(c.input(s), 2.5), add(c.input(s, DType::b8), c.input(s, DType::b8)), add(c.input(s), c.input(s), 0.5));
    }});
    cases.push_back({"sub", [](Ctx& c) {
        const Dims s = c.shape(3);
        return outs(sub(c.input(s), c.input(s)), sub(1.0, c.input(s)), sub(c.input(s, DType::i64, -9, 9), 4));
    }});
    cases.push_back({"div", [](Ctx& c) {
        const Dims s = c.shape(3);
        return outs(div(c.input(s), c.input(s, DType::f32, 0.5, 2.0)), div(c.input(s, DType::i64, -9, 9), c.input(s, DType::i64, 1, 5)),
                    div(2.0, c.input(s, DType::f64, 0.5, 2.0)));
    }});
    cases.push_back({"pow", [](Ctx& c) {
        const Dims s = c.shape(3);
        return outs(pow(c.input(s, DType::f32, 0.1, 3.0), c.input(s)), pow(c.input(s, DType::i64, -4, 4), c.input(s, DType::i64, 0, 4)),
                    pow(2.0, c.input(s)));
    }, 2e-5});
    cases.push_back({"remainder", [](Ctx& c) {
        const Dims s = c.shape(3);
        return outs(remainder(c.input(s, DType::f64, -9, 9), c.input(s, DType::f64, 0.5, 3)),
                    remainder(c.input(s, DType::i64, -20, 20), c.input(s, DType::i64, 1, 6)));
    }});
    cases.push_back({"floor_divide", [](Ctx& c) {
        const Dims s = c.shape(3);
        return outs(floor_divide(c.input(s, DType::i64, -20, 20), c.input(s, DType::i64, 1, 6)),
                    floor_divide(c.input(s, DType::f64, -9, 9), c.input(s, DType::f64, 0.5, 3)));
    }});
    for (const char* approximate : {"none", "tanh"}) {
        const std::string id = std::string(approximate) == "none" ? "gelu_erf_backward" : "gelu_tanh_backward";
        cases.push_back({id, [approximate](Ctx& c) {
            const Dims s = c.shape(3);
            return outs(native::gelu_backward(c.input(s), c.input(s, DType::f32, -5, 5), approximate),
                        native::gelu_backward(c.input({s[2]}, DType::f64), c.input(s, DType::f64, -5, 5), approximate));
        }});
    }
    cases.push_back({"where", [](Ctx& c) {
        const Dims s = c.shape(3);
        return outs(where(c.input(s, DType::b8), c.input(s), c.input({s[2]})), where(c.input({s[1], 1}, DType::b8), 1.5, c.input(s)),
                    masked_fill(c.input(s, DType::i64, -9, 9), c.input({s[2]}, DType::b8), -7));
    }});
    return cases;
}

inline std::vector<OpCase> memory_cases() {
    std::vector<OpCase> cases;
    cases.push_back({"copy", [](Ctx& c) {
        const Dims s = c.shape(3);
        Tensor dst = zeros(s, c.opts(DType::f64)).transpose(0, 2).contiguous().transpose(0, 2);
        dst.copy_(c.input(s));
        return outs(dst, c.input(s).contiguous(), c.input(s, DType::f32).to(DType::i32), c.input(s, DType::i64, -3, 3).to(DType::b8),
                    c.input(s).clone());
    }});
    cases.push_back({"transpose_copy", [](Ctx& c) {
        // Big enough for the cpu backend's tiled path (dims >= 8).
        Dims s = c.shape(3);
        for (auto& d : s) d = d * 8 + 3;
        const Tensor x = c.input(s);
        return outs(x.contiguous(), x.transpose(0, 2).contiguous(), x.transpose(1, 2).to(DType::f64),
                    c.input(s, DType::i64, -9, 9).permute({2, 0, 1}).contiguous());
    }, 0.0, 0.0, false});
    cases.push_back({"fill", [](Ctx& c) {
        const Dims s = c.shape(3);
        Tensor a = zeros(s, c.opts()).slice(0, 0, std::nullopt, 2);
        a.fill_(3.25);
        return outs(a, full(s, 7, c.opts(DType::i32)), ones(s, c.opts(DType::b8)));
    }});
    cases.push_back({"arange", [](Ctx& c) {
        const std::int64_t n = c.shape(1)[0] * 7;
        return outs(arange(n, c.opts()), arange(0.5, static_cast<double>(n) + 0.5, 0.25, c.opts()), linspace(-1, 3, n, c.opts()),
                    eye(n % 9, 4, c.opts()));
    }});
    cases.push_back({"random", [](Ctx& c) {
        const Dims s = c.shape(3);
        return outs(rand(s, c.opts(), &c.gen), randn(s, c.opts(DType::f64), &c.gen), randint(-5, 9, s, c.opts(), &c.gen),
                    bernoulli(full(s, 0.3, c.opts()), &c.gen));
    }, 0.0, 0.0});
    return cases;
}

inline std::vector<OpCase> reduction_cases() {
    std::vector<OpCase> cases;
    cases.push_back({"sum", [](Ctx& c) {
        const Tensor x = c.input(c.shape(3));
        return outs(sum(x), sum(x, {0}), sum(x, {-1}, true), sum(x, {0, 2}), sum(c.input(c.shape(2), DType::i64, -9, 9), {1}),
                    sum(c.input(c.shape(3), DType::b8)));
    }, 1e-4, 1e-4});
    cases.push_back({"mean", [](Ctx& c) {
        const Tensor x = c.input(c.shape(3), DType::f64);
        return outs(mean(x), mean(x, {1}), mean(x, {0, 1}, true));
    }, 1e-6, 1e-9});
    cases.push_back({"prod", [](Ctx& c) {
        const Tensor x = c.input(c.shape(3), DType::f64, 0.5, 1.5);
        return outs(prod(x, {2}), prod(c.input(c.shape(2), DType::i64, -3, 3), {0}));
    }, 1e-6, 1e-9, false});
    cases.push_back({"var_std", [](Ctx& c) {
        const Tensor x = c.input(c.shape(3));
        return outs(var(x, {2}), peso::std(x, {0, 1}, 0.0), var(x, {}, 1.0, true));
    }, 1e-4, 1e-5});
    cases.push_back({"amax_amin", [](Ctx& c) {
        const Tensor x = c.input(c.shape(3));
        return outs(amax(x, {1}), amin(x, {0, 2}, true), amax(c.input(c.shape(2), DType::i32, -99, 99), {1}));
    }, 1e-5, 1e-6, true, false});
    cases.push_back({"max_min_dim", [](Ctx& c) {
        const Tensor x = c.input(c.shape(3), DType::i64, -4, 4);  // ties: first index must win
        auto [v0, i0] = max(x, 1);
        auto [v1, i1] = min(c.input(c.shape(3)), -1, true);
        return outs(v0, i0, v1, i1, argmax(x, 2), argmin(x), argmax(c.input(c.shape(2))));
    }, 1e-5, 1e-6, true, false});
    cases.push_back({"logsumexp", [](Ctx& c) {
        const Tensor x = c.input(c.shape(3), DType::f32, -30, 30);
        return outs(logsumexp(x, {2}), logsumexp(x, {0, 1}, true));
    }, 1e-5, 1e-5});
    cases.push_back({"all_any", [](Ctx& c) {
        const Tensor x = c.input(c.shape(3), DType::i64, 0, 3);
        return outs(all(x, {1}), any(x, {0, 2}), all(c.input(c.shape(2), DType::b8)), any(c.input(c.shape(2))));
    }});
    return cases;
}

inline std::vector<OpCase> linalg_cases() {
    std::vector<OpCase> cases;
    cases.push_back({"matmul", [](Ctx& c) {
        const Dims s = c.shape(4);
        const Tensor a = c.input({s[0], s[1], s[2]});
        const Tensor b = c.input({s[2], s[3]});
        const Tensor b3 = c.input({1, s[2], s[3]});
        return outs(matmul(a, b), matmul(a, b3), matmul(c.input({s[2]}), c.input({s[2]})), matmul(c.input({s[1], s[2]}), c.input({s[2]})),
                    mm(c.input({s[1], s[2]}), c.input({s[2], s[3]}).t().contiguous().t()),
                    bmm(a, c.input({s[0], s[2], s[3]}, DType::f32)), matmul(c.input({s[1], s[2]}, DType::f64), c.input({s[2], s[0]}, DType::f64)));
    }, 1e-4, 1e-4});
    cases.push_back({"einsum", [](Ctx& c) {
        const Dims s = c.shape(4);
        return outs(einsum("ij,ji->i", {c.input({s[0], s[1]}), c.input({s[1], s[0]})}),
                    einsum("bij,bjk->bik", {c.input({s[0], s[1], s[2]}), c.input({s[0], s[2], s[3]})}),
                    einsum("bhqd,bhkd->bhqk", {c.input({s[0], s[1], s[2], s[3]}), c.input({s[0], s[1], s[2] + 1, s[3]})}));
    }, 1e-4, 1e-4});
    return cases;
}

inline std::vector<OpCase> normalization_cases() {
    std::vector<OpCase> cases;
    cases.push_back({"softmax", [](Ctx& c) {
        const Tensor x = c.input(c.shape(3), DType::f32, -20, 20);
        return outs(softmax(x, -1), softmax(x, 0), log_softmax(x, 1), log_softmax(c.input(c.shape(2), DType::f64), -1));
    }, 1e-5, 1e-6});
    cases.push_back({"layer_norm", [](Ctx& c) {
        const Dims s = c.shape(3);
        const Tensor x = c.input(s, DType::f32, -3, 5);
        auto [o1, m1, r1] = layer_norm(x, {s[2]}, c.input({s[2]}), c.input({s[2]}));
        auto [o2, m2, r2] = layer_norm(x, {s[1], s[2]}, Tensor(), Tensor());
        return outs(o1, m1, r1, o2, m2, r2);
    }, 1e-4, 1e-4});
    // The fused primitives below also run on fixed shapes whose rows are longer
    // than a CUDA block (256 threads) and not a multiple of any vector width.
    cases.push_back({"layer_norm_backward", [](Ctx& c) {
        std::vector<Tensor> r;
        for (DType t : {DType::f32, DType::f64}) {
            const Dims s = c.shape(3);
            for (const Dims& shape : {s, Dims{3, 523}}) {
                Dims lead = shape;
                lead.erase(lead.size() - 1);
                const Dims norm{shape[shape.size() - 1]};
                const Tensor x = c.input(shape, t, -3, 5), dy = c.input(shape, t);
                // Statistics as inputs (not the forward's) so that every backend sees the same ones.
                const Tensor mean = c.input(lead, t, -1, 1), rstd = c.input(lead, t, 0.5, 2);
                auto [dx, dw, db] = native::layer_norm_backward(dy, x, norm, mean, rstd, c.input(norm, t), {});
                auto [dx0, dw0, db0] = native::layer_norm_backward(dy, x, norm, mean, rstd, Tensor(), {});
                auto [none, dw1, db1] = native::layer_norm_backward(dy, x, norm, mean, rstd, c.input(norm, t),
                                                                    {.input = false, .weight = true, .bias = false});
                CHECK((!none.defined() && !dw0.defined() && !db1.defined()));
                for (const Tensor& out : {dx, dw, db, dx0, db0, dw1}) r.push_back(out);
            }
        }
        return r;
    }, 1e-4, 1e-5});
    cases.push_back({"cross_entropy", [](Ctx& c) {
        std::vector<Tensor> r;
        for (DType t : {DType::f32, DType::f64}) {
            Dims s = c.shape(2);
            if (s[1] == 0) s[0] = 0;  // rows need a class
            for (const Dims& shape : {s, Dims{4, 1031}}) {
                const Tensor logits = c.input(shape, t, -8, 8);
                const Tensor valid = c.input({shape[0]}, DType::b8);
                // Ignored rows carry ignore_index (-100): the kernels must not read it as a class.
                const Tensor target = where(valid, c.index(shape[1], {shape[0]}), -100);
                auto [loss, lse] = native::cross_entropy_rows(logits, target, valid);
                const Tensor grad = c.input({shape[0]}, t);
                r.push_back(loss);
                r.push_back(lse);
                r.push_back(native::cross_entropy_rows_backward(grad, logits, target, valid, lse));
            }
        }
        return r;
    }, 1e-5, 1e-6});
    // Fused attention: causal and not; T = S, T < S, T > S and T = 1; 67 and
    // 130 queries (not multiples of the cpu's 64-row tiles); head dims that
    // are not whole vectors; dropout; float32 and float64. Outputs: out, lse
    // and the three gradients. The zero-size run has an empty batch.
    cases.push_back({"attention", [](Ctx& c) {
        struct Config {
            std::int64_t b, h, t, s, e, ev;
            bool causal;
            double p;
        };
        const std::vector<Config> configs =
            c.size.lo == 0 ? std::vector<Config>{{0, 2, 5, 5, 4, 4, true, 0.0}, {1, 1, 1, 1, 1, 1, true, 0.0}}
                           : std::vector<Config>{{2, 3, 67, 67, 16, 16, true, 0.0}, {1, 2, 1, 1, 8, 8, true, 0.0},
                                                 {1, 2, 5, 70, 12, 20, false, 0.0}, {1, 1, 80, 20, 8, 8, true, 0.0},
                                                 {1, 1, 130, 129, 64, 64, true, 0.2},
                                                 {2, 2, 70, 65, 33, 17, false, 0.3}};
        std::vector<Tensor> r;
        std::uint64_t offset = 0;
        for (DType t : {DType::f32, DType::f64})
            for (const Config& k : configs) {
                const Tensor q = c.input({k.b, k.h, k.t, k.e}, t), key = c.input({k.b, k.h, k.s, k.e}, t),
                             v = c.input({k.b, k.h, k.s, k.ev}, t);
                AttentionParams p;
                p.scale = 0.35, p.causal = k.causal, p.dropout_p = k.p, p.seed = 1234, p.offset = offset += 1000003;
                auto [out, lse] = native::attention(q, key, v, p);
                const Tensor grad = c.input(out.sizes(), t);
                auto [dq, dk, dv] = native::attention_backward(grad, q, key, v, out, lse, p);
                for (const Tensor& x : {out, lse, dq, dk, dv}) r.push_back(x);
            }
        return r;
    }, 2e-4, 2e-5, /*large=*/false});
    cases.push_back({"adam_step", [](Ctx& c) {
        std::vector<native::AdamStepTensors> tasks;
        int variant = 0;
        for (DType t : {DType::f32, DType::f64}) {
            for (const Dims& shape : {c.shape(2), Dims{1031}, c.shape(1)}) {
                AdamScalars k;  // update number 3 of lr 0.01, betas (0.9, 0.99)
                k.lr = 0.01, k.beta1 = 0.9, k.beta2 = 0.99, k.eps = 1e-8;
                k.step_size = 0.01 / (1 - 0.9 * 0.9 * 0.9), k.bias_correction2_sqrt = std::sqrt(1 - 0.99 * 0.99 * 0.99);
                k.weight_decay = variant % 3 == 0 ? 0.0 : 0.1;  // none, L2, decoupled in turn
                k.decoupled = variant % 3 == 2;
                k.maximize = variant % 2 == 1;
                ++variant;
                tasks.push_back({c.input(shape, t).contiguous(), c.input(shape, t).contiguous(),
                                 c.input(shape, t, -0.1, 0.1).contiguous(), c.input(shape, t, 0, 0.05).contiguous(),
                                 k});
            }
        }
        native::adam_step(tasks);  // all parameters in one call, as an optimizer makes it
        native::adam_step(tasks);
        std::vector<Tensor> r;
        for (const auto& task : tasks)
            for (const Tensor& out : {task.param, task.exp_avg, task.exp_avg_sq}) r.push_back(out);
        return r;
    }, 1e-5, 1e-6});
    cases.push_back({"sgd_step", [](Ctx& c) {
        // Every option: momentum (none, first step, later steps), dampening,
        // Nesterov, weight decay, maximize; float32 and float64.
        std::vector<native::SgdStepTensors> first, later;
        int variant = 0;
        for (DType t : {DType::f32, DType::f64}) {
            for (const Dims& shape : {c.shape(2), Dims{1031}, c.shape(1), c.shape(3)}) {
                SgdScalars k;
                k.lr = 0.05;
                k.momentum = variant % 4 == 0 ? 0.0 : 0.9;
                k.dampening = variant % 4 == 2 ? 0.1 : 0.0;
                k.nesterov = variant % 4 == 3;
                k.weight_decay = variant % 3 == 0 ? 0.0 : 0.01;
                k.maximize = variant % 2 == 1;
                ++variant;
                const Tensor buffer = k.momentum == 0.0 ? Tensor() : c.input(shape, t).contiguous();
                native::SgdStepTensors task{c.input(shape, t).contiguous(), c.input(shape, t).contiguous(), buffer,
                                            true, k};
                first.push_back(task);
                task.new_buffer = false;
                later.push_back(task);
            }
        }
        native::sgd_step(first);  // new buffers: their random contents must be ignored
        native::sgd_step(later);
        std::vector<Tensor> r;
        for (const auto& task : later) {
            r.push_back(task.param);
            if (task.momentum_buffer.defined()) r.push_back(task.momentum_buffer);
        }
        return r;
    }, 1e-5, 1e-6});
    cases.push_back({"norm_powers", [](Ctx& c) {
        std::vector<Tensor> r;
        for (DType t : {DType::f32, DType::f64}) {
            // Strided inputs too: the front-end makes them contiguous.
            const std::vector<Tensor> xs = {c.input(c.shape(2), t), c.input({20011}, t), c.input(c.shape(1), t),
                                            c.input(c.shape(3), t)};
            for (double p : {1.0, 2.0, 3.5, std::numeric_limits<double>::infinity()}) r.push_back(native::norm_powers(xs, p));
            std::vector<Tensor> with_nan = xs;
            with_nan[1] = xs[1].clone();
            with_nan[1].narrow(0, 5000, 1).fill_(std::numeric_limits<double>::quiet_NaN());
            for (double p : {2.0, std::numeric_limits<double>::infinity()}) r.push_back(native::norm_powers(with_nan, p));
        }
        return r;
    }, 1e-9, 1e-9});
    return cases;
}

inline std::vector<OpCase> indexing_cases() {
    std::vector<OpCase> cases;
    cases.push_back({"embedding_index_select", [](Ctx& c) {
        const Dims s = c.shape(3);
        const Tensor w = c.input({s[0], s[1]});
        const Tensor idx = c.index(s[0], {s[2], 2});
        const Tensor x = c.input(s);
        return outs(embedding(w, idx), index_select(x, 1, c.index(s[1], {5})), index_select(x, -1, c.index(s[2], {3})));
    }});
    cases.push_back({"gather_scatter", [](Ctx& c) {
        const Dims s = c.shape(3);
        const Tensor x = c.input(s);
        const Tensor idx = c.index(s[1], s);
        const Tensor src = c.input(s);
        return outs(gather(x, 1, idx), scatter_add(zeros(s, c.opts()), 1, idx, src), scatter(x, 2, c.index(s[2], {s[0], s[1], 1}), 9.0));
    }});
    cases.push_back({"index_add", [](Ctx& c) {
        const Dims s = c.shape(3);
        const Tensor idx = c.index(s[1], {4});
        return outs(index_add(c.input(s), 1, idx, c.input({s[0], idx.size(0), s[2]}), 0.5), one_hot(c.index(5, {s[0], s[1]}), 6));
    }});
    return cases;
}

inline std::vector<OpCase> shape_cases() {
    std::vector<OpCase> cases;
    cases.push_back({"cat_stack_split", [](Ctx& c) {
        const Dims s = c.shape(3);
        Dims s2 = s;
        s2[1] += 2;
        const Tensor a = c.input(s), b = c.input(s2);
        std::vector<Tensor> r = {cat({a, b}, 1), stack({a, c.input(s)}, 2)};
        for (const Tensor& p : split(b, 2, 1)) r.push_back(p.contiguous());
        for (const Tensor& p : chunk(a, 3, -1)) r.push_back(p.contiguous());
        return r;
    }});
    cases.push_back({"tril_triu", [](Ctx& c) {
        const Tensor x = c.input(c.shape(3));
        return outs(tril(x), triu(x, 1), tril(x, -1), triu(c.input(c.shape(2), DType::i64, -5, 5), -1));
    }});
    cases.push_back({"sort_topk_cumsum", [](Ctx& c) {
        const Tensor x = c.input(c.shape(3), DType::i64, -3, 3);  // ties test stability
        auto [v, i] = sort(x, 1);
        auto [vd, id] = sort(c.input(c.shape(3)), -1, true);
        const Tensor y = c.input(c.shape(2));
        auto [tv, ti] = topk(y, std::min<std::int64_t>(2, y.size(-1)), -1);
        return outs(v, i, vd, id, tv, ti, argsort(y, 0), cumsum(c.input(c.shape(3)), 1), cumsum(x, 0));
    }, 1e-5, 1e-5});
    return cases;
}

inline std::vector<OpCase> all_cases() {
    std::vector<OpCase> all;
    for (auto group : {unary_cases(), binary_cases(), memory_cases(), reduction_cases(), linalg_cases(),
                       normalization_cases(), indexing_cases(), shape_cases()})
        for (auto& c : group) all.push_back(std::move(c));
    return all;
}

}  // namespace peso::testing
