// MultiheadAttention: values against a hand-written reference, the q/k/v
// packing of in_proj_weight, masks (causal, key padding, boolean and
// additive), attention weights, dropout, layouts, and gradients.
#include <doctest/doctest.h>

#include <cmath>

#include "nn/attention.h"

using namespace peso;
using namespace peso::nn;

namespace {

Tensor f64(std::vector<double> v, Dims shape) { return from_vector<double>(v, shape); }
std::vector<double> vals(const Tensor& t) { return t.detach().to(DType::f64).contiguous().to_vector<double>(); }

void set(const Tensor& p, const Tensor& value) {
    NoGradGuard g;
    Tensor h = p;
    h.copy_(value);
}

bool close(const Tensor& a, const Tensor& b, double tol = 1e-10) {
    return a.sizes() == b.sizes() && allclose(a.detach().to(DType::f64), b.detach().to(DType::f64), tol, tol);
}

std::shared_ptr<MultiheadAttention> make_mha(std::int64_t E, std::int64_t H, std::uint64_t seed, double dropout = 0.0,
                                             bool batch_first = true) {
    Generator gen(seed);
    auto m = std::make_shared<MultiheadAttention>(E, H, dropout, true, batch_first, DType::f64, &gen);
    NoGradGuard g;
    // Non-zero biases so that a wrong slice of in_proj_bias shows.
    m->in_proj_bias.normal_(0.0, 0.5);
    m->out_proj->bias.normal_(0.0, 0.5);
    return m;
}

// Attention written out with loops, following PyTorch's formulas:
// q = x Wq^T + bq (rows [0, E) of in_proj), k and v from rows [E, 2E) and [2E, 3E);
// head h uses features [h*hd, (h+1)*hd); scores / sqrt(hd); masked -> -inf; softmax; out_proj.
struct Reference {
    std::vector<double> out;      // (B, T, E)
    std::vector<double> weights;  // (B, H, T, S)
};

Reference reference(const MultiheadAttention& m, const Tensor& query, const Tensor& key, const Tensor& value,
                    const std::vector<bool>& masked /* (B, T, S), empty = none */) {
    const std::int64_t B = query.size(0), T = query.size(1), S = key.size(1), E = m.embed_dim(), H = m.num_heads();
    const std::int64_t hd = E / H;
    const std::vector<double> W = vals(m.in_proj_weight), bias = vals(m.in_proj_bias);
    const std::vector<double> Wo = vals(m.out_proj->weight), bo = vals(m.out_proj->bias);
    const std::vector<double> xq = vals(query), xk = vals(key), xv = vals(value);
    const auto project = [&](const std::vector<double>& x, std::int64_t L, int which) {
        std::vector<double> r(static_cast<std::size_t>(B * L * E));
        for (std::int64_t i = 0; i < B * L; ++i)
            for (std::int64_t o = 0; o < E; ++o) {
                double acc = bias[which * E + o];
                for (std::int64_t c = 0; c < E; ++c) acc += x[i * E + c] * W[(which * E + o) * E + c];
                r[i * E + o] = acc;
            }
        return r;
    };
    const std::vector<double> q = project(xq, T, 0), k = project(xk, S, 1), v = project(xv, S, 2);
    Reference ref;
    ref.weights.assign(static_cast<std::size_t>(B * H * T * S), 0.0);
    std::vector<double> ctx(static_cast<std::size_t>(B * T * E), 0.0);
    for (std::int64_t b = 0; b < B; ++b)
        for (std::int64_t h = 0; h < H; ++h)
            for (std::int64_t t = 0; t < T; ++t) {
                std::vector<double> s(static_cast<std::size_t>(S));
                double mx = -INFINITY;
                for (std::int64_t j = 0; j < S; ++j) {
                    double acc = 0;
                    for (std::int64_t d = 0; d < hd; ++d) acc += q[(b * T + t) * E + h * hd + d] * k[(b * S + j) * E + h * hd + d];
                    s[j] = acc / std::sqrt(static_cast<double>(hd));
                    if (!masked.empty() && masked[(b * T + t) * S + j]) s[j] = -INFINITY;
                    mx = std::max(mx, s[j]);
                }
                double z = 0;
                for (std::int64_t j = 0; j < S; ++j) z += std::exp(s[j] - mx);
                for (std::int64_t j = 0; j < S; ++j) {
                    const double w = std::exp(s[j] - mx) / z;
                    ref.weights[((b * H + h) * T + t) * S + j] = w;
                    for (std::int64_t d = 0; d < hd; ++d) ctx[(b * T + t) * E + h * hd + d] += w * v[(b * S + j) * E + h * hd + d];
                }
            }
    ref.out.assign(static_cast<std::size_t>(B * T * E), 0.0);
    for (std::int64_t i = 0; i < B * T; ++i)
        for (std::int64_t o = 0; o < E; ++o) {
            double acc = bo[o];
            for (std::int64_t c = 0; c < E; ++c) acc += ctx[i * E + c] * Wo[o * E + c];
            ref.out[i * E + o] = acc;
        }
    return ref;
}

void check_close(const std::vector<double>& got, const std::vector<double>& want, double tol = 1e-10) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(tol));
}

AttentionArgs with_weights(bool average = false) {
    AttentionArgs a;
    a.need_weights = true;
    a.average_attn_weights = average;
    return a;
}

}  // namespace

TEST_CASE("a hand-computed single-head example") {
    MultiheadAttention m(2, 1, 0.0, true, true, DType::f64);
    // q = k = v = x; out_proj = identity; zero biases.
    set(m.in_proj_weight, f64({1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1}, {6, 2}));
    set(m.out_proj->weight, f64({1, 0, 0, 1}, {2, 2}));
    const Tensor x = f64({1, 0, 0, 1}, {1, 2, 2});
    const AttentionOutput r = m.forward(x, x, x, with_weights(true));
    // scores = x x^T / sqrt(2) = [[a, 0], [0, a]], a = 1/sqrt(2)
    const double a = 1.0 / std::sqrt(2.0), w0 = std::exp(a) / (std::exp(a) + 1.0), w1 = 1.0 - w0;
    check_close(vals(r.weights), {w0, w1, w1, w0});
    check_close(vals(r.output), {w0, w1, w1, w0});
    CHECK(r.weights.sizes() == Dims{1, 2, 2});
    CHECK(r.output.sizes() == Dims{1, 2, 2});
}

TEST_CASE("self-attention and cross-attention match the loop reference (PyTorch's formulas)") {
    for (const char* backend : {"cpu", "reference"}) {
        CAPTURE(std::string(backend));
        CpuBackendGuard guard(backend);
        auto m = make_mha(6, 3, 1);
        Generator gen(2);
        const Tensor x = randn({2, 4, 6}, DType::f64, &gen);
        const Tensor mem = randn({2, 5, 6}, DType::f64, &gen);
        const Tensor val = randn({2, 5, 6}, DType::f64, &gen);

        const AttentionOutput self = m->forward(x, x, x, with_weights());
        const Reference rs = reference(*m, x, x, x, {});
        check_close(vals(self.output), rs.out);
        check_close(vals(self.weights), rs.weights);
        CHECK(self.weights.sizes() == Dims{2, 3, 4, 4});

        const AttentionOutput cross = m->forward(x, mem, mem, with_weights());  // key is value: q, then kv
        const Reference rc = reference(*m, x, mem, mem, {});
        check_close(vals(cross.output), rc.out);
        check_close(vals(cross.weights), rc.weights);
        CHECK(cross.output.sizes() == Dims{2, 4, 6});

        const AttentionOutput sep = m->forward(x, mem, val, with_weights());  // three projections
        check_close(vals(sep.output), reference(*m, x, mem, val, {}).out);
    }
}

TEST_CASE("the fused, kv-fused and separate projection paths agree") {
    auto m = make_mha(8, 2, 3);
    const Tensor x = randn({2, 3, 8}, DType::f64);
    const Tensor fused = m->forward(x);
    CHECK(close(fused, m->forward(x, x.clone(), x.clone()).output));
    CHECK(close(fused, m->forward(x, x.clone(), x.clone()).output));
    const Tensor y = x.clone();
    CHECK(close(fused, m->forward(x, y, y).output));
}

TEST_CASE("causal masking: weights above the diagonal are zero; the future cannot change the past") {
    auto m = make_mha(4, 2, 5);
    Generator gen(6);
    Tensor x = randn({1, 5, 4}, DType::f64, &gen);
    AttentionArgs args = with_weights();
    args.is_causal = true;
    const AttentionOutput r = m->forward(x, x, x, args);
    std::vector<bool> masked(25);
    for (int t = 0; t < 5; ++t)
        for (int s = 0; s < 5; ++s) masked[t * 5 + s] = s > t;
    const Reference ref = reference(*m, x, x, x, masked);
    check_close(vals(r.output), ref.out);
    check_close(vals(r.weights), ref.weights);
    const std::vector<double> w = vals(r.weights);
    for (int h = 0; h < 2; ++h)
        for (int t = 0; t < 5; ++t)
            for (int s = t + 1; s < 5; ++s) CHECK(w[(h * 5 + t) * 5 + s] == 0.0);

    // Changing token 3 leaves outputs 0..2 unchanged and changes 3 and 4.
    Tensor x2 = x.clone();
    {
        Tensor row = x2.select(1, 3);
        row.add_(1.0);
    }
    AttentionArgs causal;
    causal.is_causal = true;
    const Tensor a = m->forward(x, causal), b = m->forward(x2, causal);
    CHECK(close(a.narrow(1, 0, 3), b.narrow(1, 0, 3), 0.0));
    CHECK_FALSE(close(a.narrow(1, 3, 1), b.narrow(1, 3, 1), 1e-6));
    // The same mask given explicitly as a boolean (T, S) attn_mask.
    AttentionArgs explicit_mask;
    explicit_mask.attn_mask = native::triu(ones({5, 5}), 1).to(DType::b8);
    CHECK(close(a, m->forward(x, explicit_mask)));
    // And as an additive float mask of -inf.
    AttentionArgs additive;
    additive.attn_mask = native::masked_fill(zeros({5, 5}, DType::f64), explicit_mask.attn_mask, -INFINITY);
    CHECK(close(a, m->forward(x, additive)));
}

TEST_CASE("key padding masks: padded keys get zero weight and do not influence other positions") {
    auto m = make_mha(4, 2, 7);
    Generator gen(8);
    const Tensor x = randn({2, 4, 4}, DType::f64, &gen);
    const Tensor pad = from_vector<bool>({false, false, false, true, false, false, true, true}, Dims{2, 4});
    AttentionArgs args = with_weights();
    args.key_padding_mask = pad;
    const AttentionOutput r = m->forward(x, x, x, args);
    std::vector<bool> masked(2 * 4 * 4);
    const std::vector<bool> p{false, false, false, true, false, false, true, true};
    for (int b = 0; b < 2; ++b)
        for (int t = 0; t < 4; ++t)
            for (int s = 0; s < 4; ++s) masked[(b * 4 + t) * 4 + s] = p[b * 4 + s];
    const Reference ref = reference(*m, x, x, x, masked);
    check_close(vals(r.output), ref.out);
    check_close(vals(r.weights), ref.weights);
    // Rows sum to 1.
    const std::vector<double> rows = vals(sum(r.weights, {-1}));
    for (double v : rows) CHECK(v == doctest::Approx(1.0));
    // Changing padded tokens changes nothing at the other positions.
    Tensor x2 = x.clone();
    {
        NoGradGuard g;
        Tensor padded = x2.select(0, 1).narrow(0, 2, 2);
        padded.mul_(-3.0);
    }
    const Tensor a = m->forward(x, args).detach(), b = m->forward(x2, args).detach();
    CHECK(close(a.select(0, 0), b.select(0, 0), 0.0));
    CHECK(close(a.select(0, 1).narrow(0, 0, 2), b.select(0, 1).narrow(0, 0, 2), 1e-12));
    // Combined with causal masking and a float key padding mask.
    AttentionArgs both = with_weights();
    both.is_causal = true;
    both.key_padding_mask = native::masked_fill(zeros({2, 4}, DType::f64), pad, -INFINITY);
    std::vector<bool> masked2 = masked;
    for (int b = 0; b < 2; ++b)
        for (int t = 0; t < 4; ++t)
            for (int s = t + 1; s < 4; ++s) masked2[(b * 4 + t) * 4 + s] = true;
    const AttentionOutput rb = m->forward(x, x, x, both);
    const Reference refb = reference(*m, x, x, x, masked2);
    check_close(vals(rb.output), refb.out);
    check_close(vals(rb.weights), refb.weights);
}

TEST_CASE("per-head 3-D attn_mask, averaged weights") {
    auto m = make_mha(4, 2, 9);
    const Tensor x = randn({2, 3, 4}, DType::f64);
    // (B * H, T, S): batch 0 head 0 cannot see key 0; batch 1 head 1 cannot see key 2.
    Tensor mask = zeros({4, 3, 3}, DType::b8);
    mask.select(0, 0).select(1, 0).fill_(true);
    mask.select(0, 3).select(1, 2).fill_(true);
    const AttentionOutput per_head = m->forward(x, x, x, [&] {
        AttentionArgs a = with_weights(false);
        a.attn_mask = mask;
        return a;
    }());
    const std::vector<double> w = vals(per_head.weights);  // (2, 2, 3, 3)
    for (int t = 0; t < 3; ++t) {
        CHECK(w[((0 * 2 + 0) * 3 + t) * 3 + 0] == 0.0);
        CHECK(w[((0 * 2 + 1) * 3 + t) * 3 + 0] > 0.0);
        CHECK(w[((1 * 2 + 1) * 3 + t) * 3 + 2] == 0.0);
        CHECK(w[((1 * 2 + 0) * 3 + t) * 3 + 2] > 0.0);
    }
    AttentionArgs avg = with_weights(true);
    avg.attn_mask = mask;
    const AttentionOutput averaged = m->forward(x, x, x, avg);
    CHECK(averaged.weights.sizes() == Dims{2, 3, 3});
    CHECK(close(averaged.weights, mean(per_head.weights, {1})));
    CHECK(close(averaged.output, per_head.output));
    // need_weights off: no weights returned.
    CHECK_FALSE(m->forward(x, x, x).weights.defined());
}

TEST_CASE("a query that may attend to nothing gets zero weights, not NaN") {
    auto m = make_mha(4, 1, 10);
    const Tensor x = randn({1, 3, 4}, DType::f64).requires_grad_();
    AttentionArgs args = with_weights(true);
    args.key_padding_mask = from_vector<bool>({true, true, true}, Dims{1, 3});
    const AttentionOutput r = m->forward(x, x, x, args);
    for (double v : vals(r.weights)) CHECK(v == 0.0);
    // The output is out_proj applied to a zero context: its bias.
    const std::vector<double> out = vals(r.output), bias = vals(m->out_proj->bias);
    for (int t = 0; t < 3; ++t)
        for (int e = 0; e < 4; ++e) CHECK(out[t * 4 + e] == doctest::Approx(bias[e]));
    sum(r.output).backward();
    for (double g : vals(x.grad())) CHECK(std::isfinite(g));
}

TEST_CASE("float32 with masks on both backends agrees with float64") {
    auto m64 = make_mha(8, 2, 15);
    auto m32 = make_mha(8, 2, 15);
    m32->to(DType::f32);
    m32->load_state_dict(m64->state_dict());
    Generator gen(16);
    const Tensor x = randn({3, 5, 8}, DType::f64, &gen);
    AttentionArgs args = with_weights(false);
    args.is_causal = true;
    // Batch 2 pads every key: with the causal mask its rows are all masked.
    args.key_padding_mask = from_vector<bool>({false, false, false, false, true, false, false, true, true, true,
                                               true, true, true, true, true},
                                              Dims{3, 5});
    const AttentionOutput want = m64->forward(x, x, x, args);
    for (const char* backend : {"cpu", "reference"}) {
        CAPTURE(std::string(backend));
        CpuBackendGuard guard(backend);
        const Tensor x32 = x.to(DType::f32);
        const AttentionOutput got = m32->forward(x32, x32, x32, args);
        CHECK(got.output.dtype() == DType::f32);
        CHECK(allclose(got.output.to(DType::f64), want.output, 1e-4, 1e-5));
        CHECK(allclose(got.weights.to(DType::f64), want.weights, 1e-4, 1e-6));
        CHECK_FALSE(native::any(native::isnan(got.output)).item<bool>());
    }
}

TEST_CASE("dropout on the attention weights in training only") {
    auto m = make_mha(4, 2, 11, /*dropout=*/0.5);
    const Tensor x = randn({2, 6, 4}, DType::f64);
    m->eval();
    const AttentionOutput e1 = m->forward(x, x, x, with_weights());
    CHECK(close(e1.output, m->forward(x)));
    for (double v : vals(sum(e1.weights, {-1}))) CHECK(v == doctest::Approx(1.0));
    m->train();
    const AttentionOutput t1 = m->forward(x, x, x, with_weights());
    // Returned weights are after dropout (as PyTorch): each is 0 or twice the eval weight.
    const std::vector<double> tw = vals(t1.weights), ew = vals(e1.weights);
    int dropped = 0;
    for (std::size_t i = 0; i < tw.size(); ++i) {
        if (tw[i] == 0.0) ++dropped;
        else CHECK(tw[i] == doctest::Approx(2.0 * ew[i]));
    }
    CHECK(dropped > 0);
    CHECK(dropped < static_cast<int>(tw.size()));
    CHECK_FALSE(close(t1.output, e1.output, 1e-6));
}

TEST_CASE("layouts: batch_first=false (T, B, E) and unbatched (T, E) inputs") {
    auto bf = make_mha(4, 2, 12);
    auto sf = make_mha(4, 2, 12, 0.0, /*batch_first=*/false);
    CHECK(equal(bf->in_proj_weight, sf->in_proj_weight));
    set(sf->in_proj_bias, bf->in_proj_bias);
    set(sf->out_proj->bias, bf->out_proj->bias);
    const Tensor x = randn({2, 3, 4}, DType::f64);
    const Tensor mem = randn({2, 5, 4}, DType::f64);
    AttentionArgs args = with_weights();
    args.key_padding_mask = from_vector<bool>({false, false, false, false, true, false, false, true, true, true},
                                              Dims{2, 5});
    const AttentionOutput a = bf->forward(x, mem, mem, args);
    const Tensor xt = x.transpose(0, 1), mt = mem.transpose(0, 1);
    const AttentionOutput b = sf->forward(xt, mt, mt, args);
    CHECK(b.output.sizes() == Dims{3, 2, 4});
    CHECK(close(a.output, b.output.transpose(0, 1)));
    CHECK(close(a.weights, b.weights));  // weights are (B, H, T, S) in both layouts

    const AttentionOutput u = bf->forward(x.select(0, 0), mem.select(0, 0), mem.select(0, 0), [&] {
        AttentionArgs a1 = with_weights(true);
        a1.key_padding_mask = args.key_padding_mask.select(0, 0);
        return a1;
    }());
    CHECK(u.output.sizes() == Dims{3, 4});
    CHECK(u.weights.sizes() == Dims{3, 5});
    CHECK(close(u.output, a.output.select(0, 0)));
}

TEST_CASE("gradcheck: self- and cross-attention with masks, w.r.t. inputs and parameters") {
    auto m = make_mha(4, 2, 13);
    Generator gen(14);
    const Tensor x = randn({2, 3, 4}, DType::f64, &gen).requires_grad_();
    const Tensor mem = randn({2, 4, 4}, DType::f64, &gen).requires_grad_();
    const Tensor pad = from_vector<bool>({false, false, true, false, false, false, false, true}, Dims{2, 4});
    const autograd::GradcheckOptions opts{1e-6, 1e-6, 1e-4};
    {
        const auto r = autograd::gradcheck(
            [&](const std::vector<Tensor>& in) {
                AttentionArgs a = with_weights(false);
                a.is_causal = true;
                a.key_padding_mask = pad.narrow(1, 0, 3);
                const AttentionOutput o = m->forward(in[0], in[0], in[0], a);
                return std::vector<Tensor>{o.output, o.weights};
            },
            {x, m->in_proj_weight, m->in_proj_bias, m->out_proj->weight}, opts);
        INFO(r.report);
        CHECK(r.ok);
    }
    {
        const auto r = autograd::gradcheck(
            [&](const std::vector<Tensor>& in) {
                AttentionArgs a;
                a.key_padding_mask = pad;
                a.attn_mask = from_vector<bool>({false, true, false, false, false, false, false, true, false, false,
                                                 false, false},
                                                Dims{3, 4});
                return std::vector<Tensor>{m->forward(in[0], in[1], in[1], a).output};
            },
            {x, mem, m->in_proj_weight, m->out_proj->bias}, opts);
        INFO(r.report);
        CHECK(r.ok);
    }
}

TEST_CASE("errors name the layer and shapes") {
    CHECK_THROWS_AS(MultiheadAttention(6, 4), ValueError);
    MultiheadAttention m(4, 2);
    CHECK_THROWS_WITH_AS(m.forward(ones({2, 3, 5})), doctest::Contains("[2, 3, 5]"), ShapeError);
    CHECK_THROWS_AS(m.forward(ones({2, 3, 4}), ones({3, 3, 4}), ones({3, 3, 4})), ShapeError);
    CHECK_THROWS_AS(m.forward(ones({2, 3, 4}), ones({2, 3, 4}), ones({2, 5, 4})), ShapeError);
    AttentionArgs bad_kpm;
    bad_kpm.key_padding_mask = zeros({2, 4}, DType::b8);
    CHECK_THROWS_WITH_AS(m.forward(ones({2, 3, 4}), bad_kpm), doctest::Contains("key_padding_mask"), ShapeError);
    AttentionArgs bad_mask;
    bad_mask.attn_mask = zeros({3, 4}, DType::b8);
    CHECK_THROWS_AS(m.forward(ones({2, 3, 4}), bad_mask), ShapeError);
    AttentionArgs int_mask;
    int_mask.attn_mask = zeros({3, 3}, DType::i64);
    CHECK_THROWS_AS(m.forward(ones({2, 3, 4}), int_mask), DTypeError);
    CHECK(m.str() == "MultiheadAttention(\n  (out_proj): Linear(in_features=4, out_features=4, bias=True)\n)");
}
