// Samples of softmax, log_softmax, layer_norm, cross-entropy and fused attention.
#include "tests/support/gradcheck_samples.h"

namespace peso::testing {

namespace {

void add_softmax(Samples& s, const char* op, Tensor (*f)(const Tensor&, std::int64_t)) {
    s.add(op, {"dim=first"}, [](Inputs& in) { return TL{in.p({in.n(2, 4), in.n(1, 3)}, -2, 2)}; },
          [f](const TL& x) { return f(x[0], 0); });
    s.add(op, {"dim=middle"}, [](Inputs& in) { return TL{in.p({2, 3, 2}, -2, 2)}; },
          [f](const TL& x) { return f(x[0], 1); });
    s.add(op, {"dim=last"}, [](Inputs& in) { return TL{in.p({2, 2, in.n(2, 4)}, -2, 2)}; },
          [f](const TL& x) { return f(x[0], 2); });
    s.add(op, {"dim=negative"}, [](Inputs& in) { return TL{in.p({in.n(), in.n(2, 5)}, -2, 2)}; },
          [f](const TL& x) { return f(x[0], -1); });
    s.add(op, {"input=0-d"}, leaves({Dims{}}), [f](const TL& x) { return f(x[0], 0); });
    s.add(op, {"input=empty"}, leaves({{0, 3}, {2, 0}}),
          [f](const TL& x) { return TL{f(x[0], 1), f(x[1], 1)}; });
    s.add(op, {"input=non-contiguous"},
          [](Inputs& in) { return TL{in.p({4, 3}, -2, 2), in.p({2, 9}, -2, 2), in.p({3, 1}, -2, 2)}; },
          [f](const TL& x) { return TL{f(tr(x[0]), -1), f(every_other(x[1]), 1), f(x[2].expand({3, 2}), 0)}; });
}

// Fused attention (the softmax of scores, fused with the two products). The
// double backward goes through the composite formula (autograd/ops/attention.cpp).
void add_fused_attention(Samples& s) {
    const char* op = "fused_attention";
    const auto attend = [](bool causal, double p = 0.0) {
        return [causal, p](const TL& x) {
            Generator gen(5);  // the same dropout mask at every evaluation
            return fused_attention(x[0], x[1], x[2], causal, 0.7, p, &gen);
        };
    };
    s.add(op, {"mask=none", "shape=T=S"}, leaves({{2, 3, 4}, {2, 3, 4}, {2, 3, 5}}), attend(false));
    s.add(op, {"mask=causal", "shape=T<S"}, leaves({{1, 2, 3, 4}, {1, 2, 5, 4}, {1, 2, 5, 3}}), attend(true));
    s.add(op, {"mask=causal", "shape=T>S"}, leaves({{2, 6, 3}, {2, 4, 3}, {2, 4, 2}}), attend(true));
    s.add(op, {"mask=causal", "shape=T=1"}, leaves({{2, 1, 4}, {2, 1, 4}, {2, 1, 3}}), attend(true));
    s.add(op, {"mask=none", "shape=broadcast"}, leaves({{2, 2, 3, 4}, {1, 2, 3, 4}, {2, 1, 3, 2}}), attend(false));
    s.add(op, {"mask=causal", "dropout=some"}, leaves({{2, 5, 3}, {2, 5, 3}, {2, 5, 4}}), attend(true, 0.4));
    s.add(op, {"dropout=none", "input=non-contiguous"}, leaves({{2, 4, 3}, {2, 4, 5}, {2, 5, 7}}),
          [](const TL& x) { return fused_attention(tr(x[0]), tr(x[1]), every_other(x[2]), true, 0.7); });
}

}  // namespace

void add_normalization_samples(Samples& s) {
    add_fused_attention(s);
    add_softmax(s, "softmax", softmax);
    add_softmax(s, "log_softmax", log_softmax);

    const GradcheckOptions ln_opts{1e-6, 1e-5, 1e-3};
    const auto ln_args = [](Inputs& in) { return TL{in.p({2, 3, 4}, -2, 2), in.p({4}, 0.5, 1.5), in.p({4})}; };
    auto ln = [](const Tensor& x, const Dims& shape, const Tensor& w, const Tensor& b) {
        return std::get<0>(layer_norm(x, shape, w, b));
    };
    s.add("layer_norm", {"affine=weight-bias", "normalized_shape=last"}, ln_args,
          [ln](const TL& x) { return ln(x[0], {4}, x[1], x[2]); }, ln_opts);
    s.add("layer_norm", {"affine=weight"}, ln_args, [ln](const TL& x) { return ln(x[0], {4}, x[1], Tensor()); },
          ln_opts);
    s.add("layer_norm", {"affine=bias"}, ln_args, [ln](const TL& x) { return ln(x[0], {4}, Tensor(), x[2]); }, ln_opts);
    s.add("layer_norm", {"affine=none", "normalized_shape=last-two"}, ln_args,
          [ln](const TL& x) { return ln(x[0], {3, 4}, Tensor(), Tensor()); }, ln_opts);
    s.add("layer_norm", {"normalized_shape=last-two", "affine=weight-bias"},
          [](Inputs& in) { return TL{in.p({2, 2, 3}, -2, 2), in.p({2, 3}, 0.5, 1.5), in.p({2, 3})}; },
          [ln](const TL& x) { return ln(x[0], {2, 3}, x[1], x[2]); }, ln_opts);
    s.add("layer_norm", {"input=non-contiguous"},
          [](Inputs& in) { return TL{in.p({4, 3}, -2, 2), in.p({9}, 0.5, 1.5), in.p({4})}; },
          [ln](const TL& x) { return ln(tr(x[0]), {4}, every_other(x[1]), x[2]); }, ln_opts);

    // Rows whose valid flag is false have loss and gradient 0.
    const auto ce_args = [](std::vector<bool> valid) {
        return [valid](Inputs& in) {
            return TL{in.p({4, 5}, -2, 2), index({0, 4, 2, 4}), bools(valid, {4})};
        };
    };
    const auto ce = [](const TL& x) { return cross_entropy_rows(x[0], x[1], x[2]); };
    s.add("cross_entropy_rows", {"valid=all"}, ce_args({true, true, true, true}), ce);
    s.add("cross_entropy_rows", {"valid=some"}, ce_args({true, false, true, true}), ce);
    s.add("cross_entropy_rows", {"valid=none"}, ce_args({false, false, false, false}), ce);
    s.add("cross_entropy_rows", {"input=non-contiguous"},
          [](Inputs& in) { return TL{in.p({5, 3}, -2, 2), index({1, 0, 4}), bools({true, true, false}, {3})}; },
          [](const TL& x) { return cross_entropy_rows(tr(x[0]), x[1], x[2]); });
}

}  // namespace peso::testing
