// Layers: Linear, Embedding, LayerNorm, Dropout, activations, CosineSimilarity,
// positional encodings and the transformer layers, against hand-computed
// values, gradients (gradcheck in float64) and their train/eval semantics.
#include <doctest/doctest.h>

#include <cmath>

#include "nn/activations.h"
#include "nn/cosine_similarity.h"
#include "nn/dropout.h"
#include "nn/embedding.h"
#include "nn/layer_norm.h"
#include "nn/linear.h"
#include "nn/positional.h"
#include "nn/transformer.h"

using namespace peso;
using namespace peso::nn;

namespace {

Tensor f64(std::vector<double> v, Dims shape) { return from_vector<double>(v, shape); }
Tensor leaf64(std::vector<double> v, Dims shape) { return f64(std::move(v), shape).requires_grad_(); }
std::vector<double> vals(const Tensor& t) { return t.detach().to(DType::f64).contiguous().to_vector<double>(); }

void check_values(const Tensor& t, const std::vector<double>& expected, double tol = 1e-6) {
    const std::vector<double> got = vals(t);
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(expected[i]).epsilon(tol));
}

void set(const Tensor& p, const Tensor& value) {
    NoGradGuard g;
    Tensor h = p;
    h.copy_(value);
}

autograd::GradcheckResult check_grads(const autograd::GradcheckFn& fn, const std::vector<Tensor>& inputs) {
    const auto r = autograd::gradcheck(fn, inputs, {1e-6, 1e-6, 1e-4});
    INFO(r.report);
    CHECK(r.ok);
    return r;
}

const char* const kBackends[] = {"cpu", "reference"};

}  // namespace

TEST_CASE("Linear: hand-computed outputs and gradients, with and without bias") {
    for (const char* backend : kBackends) {
        CAPTURE(std::string(backend));
        CpuBackendGuard guard(backend);
        Linear lin(3, 2, true, DType::f64);
        set(lin.weight, f64({1, 2, 3, 4, 5, 6}, {2, 3}));
        set(lin.bias, f64({0.5, -1}, {2}));
        const Tensor x = leaf64({1, 0, -1, 2, 1, 0}, {2, 3});
        const Tensor y = lin.forward(x);
        check_values(y, {-1.5, -3, 4.5, 12});
        // Any number of leading dims.
        check_values(lin.forward(x.view({1, 2, 3})), {-1.5, -3, 4.5, 12});
        CHECK(lin.forward(x.view({1, 2, 3})).sizes() == Dims{1, 2, 2});
        sum(mul(y, f64({1, 2, 3, 4}, {2, 2}))).backward();
        // dW = g^T x, db = sum_rows g, dx = g W
        check_values(lin.weight.grad(), {1 + 6, 3, -1, 2 + 8, 4, -2});
        check_values(lin.bias.grad(), {4, 6});
        check_values(x.grad(), {9, 12, 15, 19, 26, 33});

        Linear nob(3, 2, false, DType::f64);
        CHECK_FALSE(nob.bias.defined());
        CHECK(nob.named_parameters().size() == 1);
        set(nob.weight, f64({1, 2, 3, 4, 5, 6}, {2, 3}));
        check_values(nob.forward(x), {-2, -2, 4, 13});
    }
    Linear lin(3, 2);
    CHECK_THROWS_WITH_AS(lin.forward(ones({2, 4})), doctest::Contains("[2, 4]"), ShapeError);
    CHECK_THROWS_AS(lin.forward(ones({2, 3}, DType::f64)), DTypeError);  // no silent promotion
    CHECK(lin.str() == "Linear(in_features=3, out_features=2, bias=True)");
}

TEST_CASE("Linear sharing an Embedding's weight: one tensor, gradients from both uses") {
    auto wte = std::make_shared<Embedding>(5, 3, std::nullopt, DType::f64);
    auto head = std::make_shared<Linear>(wte->weight);  // (out=5, in=3)
    CHECK(head->weight.is_same(wte->weight));
    CHECK(head->in_features() == 3);
    CHECK(head->out_features() == 5);
    const Tensor h = wte->forward(from_vector<std::int64_t>({4}, Dims{1}));
    sum(head->forward(h)).backward();
    const std::vector<double> W = vals(wte->weight), g = vals(wte->weight.grad());
    for (int r = 0; r < 5; ++r)
        for (int c = 0; c < 3; ++c) {
            double colsum = 0;
            for (int k = 0; k < 5; ++k) colsum += W[k * 3 + c];
            const double expected = W[4 * 3 + c] + (r == 4 ? colsum : 0.0);
            CHECK(g[r * 3 + c] == doctest::Approx(expected));
        }
    // Tying through the virtual replace_parameter updates the member, even through a Module&.
    auto other = std::make_shared<Linear>(3, 5, false, DType::f64);
    Module& base = *other;
    base.replace_parameter("weight", wte->weight);
    CHECK(other->weight.is_same(wte->weight));
}

TEST_CASE("Embedding: lookup, padding_idx (zero row, no gradient), from_pretrained") {
    Embedding emb(4, 2, 1, DType::f64);
    CHECK(emb.padding_idx() == 1);
    check_values(emb.weight.select(0, 1), {0, 0});
    set(emb.weight, f64({1, 2, 0, 0, 5, 6, 7, 8}, {4, 2}));
    const Tensor idx = from_vector<std::int64_t>({2, 1, 2, 0, 3, 1}, Dims{2, 3});
    const Tensor out = emb.forward(idx);
    CHECK(out.sizes() == Dims{2, 3, 2});
    check_values(out, {5, 6, 0, 0, 5, 6, 1, 2, 7, 8, 0, 0});
    sum(mul(out, 2.0)).backward();
    check_values(emb.weight.grad(), {2, 2, 0, 0, 4, 4, 2, 2});  // row 1 (padding) gets nothing

    // A negative padding_idx counts from the end.
    CHECK(Embedding(4, 2, -1).padding_idx() == 3);
    CHECK_THROWS_AS(Embedding(4, 2, 4), IndexError);
    CHECK_THROWS_AS(emb.forward(from_vector<std::int64_t>({4}, Dims{1})), IndexError);
    CHECK_THROWS_AS(emb.forward(from_vector<double>({1.0}, Dims{1})), DTypeError);
    CHECK(emb.str() == "Embedding(4, 2, padding_idx=1)");

    // The padding row still receives gradient from other uses of a shared weight.
    // Here: d/dW sum(W E[idx]^T) gives each row r the sum of the looked-up rows (from the head), and
    // the looked-up non-padding rows the column sums of W (from the lookup).
    Embedding tied(4, 2, 1, DType::f64);
    set(tied.weight, f64({1, 2, 0, 0, 5, 6, 7, 8}, {4, 2}));
    Linear head(tied.weight);
    sum(head.forward(tied.forward(from_vector<std::int64_t>({1, 2}, Dims{2})))).backward();
    check_values(tied.weight.grad(), {5, 6, 5, 6, 5 + 13, 6 + 16, 5, 6});

    const Tensor pre = f64({1, 2, 3, 4, 5, 6}, {3, 2});
    auto frozen = Embedding::from_pretrained(pre);
    CHECK_FALSE(frozen->weight.requires_grad());
    CHECK(frozen->weight.shares_storage(pre));
    CHECK_FALSE(pre.requires_grad());
    check_values(frozen->forward(from_vector<std::int64_t>({2, 0}, Dims{2})), {5, 6, 1, 2});
    CHECK(frozen->num_parameters(/*only_trainable=*/true) == 0);
    auto trainable = Embedding::from_pretrained(pre, /*freeze=*/false, 0);
    CHECK(trainable->weight.requires_grad());
    check_values(trainable->weight.select(0, 0), {1, 2});  // from_pretrained keeps the padding row as given
    sum(trainable->forward(from_vector<std::int64_t>({0, 1}, Dims{2}))).backward();
    check_values(trainable->weight.grad(), {0, 0, 1, 1, 0, 0});
}

TEST_CASE("LayerNorm: values, affine parameters, normalized_shape of two dims, gradients") {
    for (const char* backend : kBackends) {
        CAPTURE(std::string(backend));
        CpuBackendGuard guard(backend);
        LayerNorm ln(4, 1e-5, true, true, DType::f64);
        set(ln.weight, f64({1, 2, 3, 4}, {4}));
        set(ln.bias, f64({0, 0, 1, 1}, {4}));
        const Tensor x = f64({1, 2, 3, 4, -2, 0, 2, 4}, {2, 4});
        const double r1 = 1.0 / std::sqrt(1.25 + 1e-5), r2 = 1.0 / std::sqrt(5.0 + 1e-5);
        check_values(ln.forward(x), {-1.5 * r1, 2 * -0.5 * r1, 3 * 0.5 * r1 + 1, 4 * 1.5 * r1 + 1,  //
                                     -3 * r2, 2 * -1 * r2, 3 * 1 * r2 + 1, 4 * 3 * r2 + 1});
    }
    LayerNorm plain(4, 1e-5, /*elementwise_affine=*/false);
    CHECK(plain.named_parameters().empty());
    LayerNorm nobias(4, 1e-5, true, /*bias=*/false);
    CHECK(nobias.named_parameters().size() == 1);
    CHECK(plain.forward(tensor({1, 2, 3, 4})).sizes() == Dims{4});
    CHECK_THROWS_WITH_AS(plain.forward(ones({2, 3})), doctest::Contains("[2, 3]"), ShapeError);
    CHECK(plain.str() == "LayerNorm((4,), eps=1e-05, elementwise_affine=False)");

    LayerNorm ln2(Dims{2, 3}, 1e-5, true, true, DType::f64);
    {
        NoGradGuard g;
        ln2.weight.normal_();
        ln2.bias.normal_();
    }
    const Tensor x = leaf64({0.3, -1.2, 0.5, 2.0, 0.1, -0.7, 1.1, 0.4, -0.2, 0.9, -1.5, 0.6}, {2, 2, 3});
    check_grads([&](const std::vector<Tensor>& in) { return std::vector<Tensor>{ln2.forward(in[0])}; },
                {x, ln2.weight, ln2.bias});
}

TEST_CASE("Dropout: identity in eval, zeroes ~p and scales by 1/(1-p) in training") {
    Dropout drop(0.3);
    CHECK(drop.str() == "Dropout(p=0.3, inplace=False)");
    const Tensor x = ones({200, 100}).requires_grad_();
    drop.eval();
    CHECK(drop.forward(x).is_same(x));
    drop.train();
    const Tensor y = drop.forward(x);
    const std::vector<float> v = y.detach().to_vector<float>();
    std::int64_t zeros_n = 0;
    for (float e : v) {
        if (e == 0.0f) ++zeros_n;
        else CHECK(e == doctest::Approx(1.0 / 0.7));
    }
    CHECK(static_cast<double>(zeros_n) / v.size() == doctest::Approx(0.3).epsilon(0.05));
    // The gradient is the same mask and scale.
    sum(y).backward();
    CHECK(equal(x.grad(), y.detach()));

    CHECK(functional::dropout(x, 0.0, true).is_same(x));
    CHECK(native::all(native::eq(functional::dropout(x, 1.0, true), 0.0)).item<bool>());
    CHECK_THROWS_AS(Dropout(1.5), ValueError);
    CHECK_THROWS_AS(functional::dropout(x, -0.1, true), ValueError);
    // A generator fixes the mask.
    Generator g1(5), g2(5);
    CHECK(equal(functional::dropout(x, 0.5, true, &g1), functional::dropout(x, 0.5, true, &g2)));
    // Expectation is preserved.
    const Tensor big = ones({100000});
    CHECK(native::mean(functional::dropout(big, 0.5, true)).item<float>() == doctest::Approx(1.0).epsilon(0.02));
}

TEST_CASE("activations: values, dims and printing") {
    const Tensor x = f64({-2, -0.5, 0, 1, 3}, {5});
    check_values(ReLU().forward(x), {0, 0, 0, 1, 3});
    const double c = std::sqrt(2.0 / M_PI);
    std::vector<double> erf_expected, tanh_expected;
    for (double v : vals(x)) {
        erf_expected.push_back(0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))));
        tanh_expected.push_back(0.5 * v * (1.0 + std::tanh(c * (v + 0.044715 * v * v * v))));
    }
    check_values(GELU().forward(x), erf_expected, 1e-9);
    check_values(GELU("tanh").forward(x), tanh_expected, 1e-9);
    CHECK(GELU().forward(f64({1}, {1})).item<double>() == doctest::Approx(0.8413447460685429));
    CHECK_THROWS_AS(GELU("fast"), ValueError);
    check_values(Tanh().forward(x), {std::tanh(-2.0), std::tanh(-0.5), 0, std::tanh(1.0), std::tanh(3.0)});
    check_values(Sigmoid().forward(x), {1 / (1 + std::exp(2.0)), 1 / (1 + std::exp(0.5)), 0.5,
                                        1 / (1 + std::exp(-1.0)), 1 / (1 + std::exp(-3.0))});
    const Tensor m = f64({1, 2, 3, 1, 1, 1}, {2, 3});
    const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
    check_values(Softmax(1).forward(m), {std::exp(1.0) / z, std::exp(2.0) / z, std::exp(3.0) / z, 1. / 3, 1. / 3, 1. / 3});
    check_values(Softmax(0).forward(m), {0.5, 1 / (1 + std::exp(-1.0)), 1 / (1 + std::exp(-2.0)), 0.5,
                                         1 / (1 + std::exp(1.0)), 1 / (1 + std::exp(2.0))});
    check_values(LogSoftmax(-1).forward(m), {1 - std::log(z), 2 - std::log(z), 3 - std::log(z), -std::log(3.0),
                                             -std::log(3.0), -std::log(3.0)});
    CHECK(GELU("tanh").str() == "GELU(approximate='tanh')");
    CHECK(Softmax(-1).str() == "Softmax(dim=-1)");
    CHECK(LogSoftmax(1).str() == "LogSoftmax(dim=1)");
    CHECK(Tanh().str() == "Tanh()");
}

TEST_CASE("CosineSimilarity: values, dims, broadcasting, eps, gradients") {
    CosineSimilarity cos1;  // dim 1
    const Tensor a = f64({1, 2, 3, 1, 0, 0}, {2, 3});
    const Tensor b = f64({4, 5, 6, 0, 2, 0}, {2, 3});
    check_values(cos1.forward(a, b), {32.0 / std::sqrt(14.0 * 77.0), 0.0});
    check_values(CosineSimilarity(0).forward(a, b),
                 {4 / std::sqrt(2.0 * 16.0), 10 / std::sqrt(4.0 * 29.0), 1.0});
    // x2 (3) broadcasts against x1 (2, 3); dim -1.
    check_values(functional::cosine_similarity(a, f64({4, 5, 6}, {3}), -1),
                 {32.0 / std::sqrt(14.0 * 77.0), 4.0 / std::sqrt(77.0)});
    // A zero vector gives 0 (its norm is clamped at eps), not NaN.
    check_values(functional::cosine_similarity(f64({0, 0}, {1, 2}), f64({1, 0}, {1, 2})), {0.0});
    // As PyTorch 1.13, the squared norms are clamped at eps^2 without changing the gradient formula:
    // torch gives d/dx1 = [99990000, 0] for x1 = [1e-10, 0], x2 = [1, 0].
    const Tensor tiny = leaf64({1e-10, 0}, {1, 2});
    const Tensor y = functional::cosine_similarity(tiny, f64({1, 0}, {1, 2}));
    CHECK(y.item<double>() == doctest::Approx(0.01));
    y.backward();
    check_values(tiny.grad(), {99990000.0, 0.0});
    CHECK_THROWS_AS(functional::cosine_similarity(a, f64({1, 2}, {2}), 1), ShapeError);
    CHECK_THROWS_AS(functional::cosine_similarity(a, b, 2), IndexError);

    const Tensor x1 = leaf64({0.3, -1.2, 0.5, 2.0, 0.1, -0.7}, {2, 3});
    const Tensor x2 = leaf64({1.1, 0.4, -0.2, 0.9, -1.5, 0.6}, {2, 3});
    check_grads([](const std::vector<Tensor>& in) { return std::vector<Tensor>{functional::cosine_similarity(in[0], in[1])}; },
                {x1, x2});
}

TEST_CASE("SinusoidalPositionalEncoding: the table, a non-persistent buffer, offsets") {
    SinusoidalPositionalEncoding pe(6, 10, 0.0, DType::f64);
    CHECK(pe.pe.sizes() == Dims{10, 6});
    const std::vector<double> t = vals(pe.pe);
    for (int pos : {0, 1, 7})
        for (int i = 0; i < 3; ++i) {
            const double angle = pos / std::pow(10000.0, 2.0 * i / 6.0);
            CHECK(t[pos * 6 + 2 * i] == doctest::Approx(std::sin(angle)));
            CHECK(t[pos * 6 + 2 * i + 1] == doctest::Approx(std::cos(angle)));
        }
    CHECK(pe.state_dict().empty());
    CHECK(pe.named_buffers().size() == 1);
    CHECK(pe.named_parameters().empty());
    const Tensor x = zeros({2, 3, 6}, DType::f64);
    const Tensor y = pe.forward(x, 4);
    CHECK(y.sizes() == Dims{2, 3, 6});
    CHECK(equal(y.select(0, 1), pe.pe.narrow(0, 4, 3)));
    CHECK_THROWS_AS(pe.forward(x, 8), IndexError);
    CHECK_THROWS_AS(pe.forward(zeros({2, 3, 5}, DType::f64)), ShapeError);
    // An odd d_model has one more sine column than cosine columns.
    SinusoidalPositionalEncoding odd(5, 4, 0.0, DType::f64);
    CHECK(vals(odd.pe)[5 + 4] == doctest::Approx(std::sin(1.0 / std::pow(10000.0, 4.0 / 5.0))));
    pe.to(DType::f32);
    CHECK(pe.pe.dtype() == DType::f32);
}

TEST_CASE("LearnedPositionalEmbedding: adds rows offset..offset+T, gradients reach only those rows") {
    LearnedPositionalEmbedding pos(5, 2, DType::f64);
    CHECK(pos.named_parameters().size() == 1);
    set(pos.weight, f64({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {5, 2}));
    const Tensor x = ones({2, 2, 2}, DType::f64);
    const Tensor y = pos.forward(x, 2);
    check_values(y, {5, 6, 7, 8, 5, 6, 7, 8});
    sum(y).backward();
    check_values(pos.weight.grad(), {0, 0, 0, 0, 2, 2, 2, 2, 0, 0});
    CHECK_THROWS_AS(pos.forward(x, 4), IndexError);
}

TEST_CASE("transformer layers: PyTorch's parameter names and order") {
    TransformerLayerOptions o;
    o.d_model = 8;
    o.nhead = 2;
    o.dim_feedforward = 16;
    TransformerEncoderLayer enc(o);
    std::vector<std::string> names;
    for (const auto& [n, p] : enc.named_parameters()) names.push_back(n);
    CHECK(names == std::vector<std::string>{"self_attn.in_proj_weight", "self_attn.in_proj_bias",
                                            "self_attn.out_proj.weight", "self_attn.out_proj.bias", "linear1.weight",
                                            "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight",
                                            "norm1.bias", "norm2.weight", "norm2.bias"});
    TransformerDecoderLayer dec(o);
    names.clear();
    for (const auto& [n, p] : dec.named_parameters()) names.push_back(n);
    CHECK(names == std::vector<std::string>{
                       "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
                       "self_attn.out_proj.bias", "multihead_attn.in_proj_weight", "multihead_attn.in_proj_bias",
                       "multihead_attn.out_proj.weight", "multihead_attn.out_proj.bias", "linear1.weight",
                       "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight",
                       "norm2.bias", "norm3.weight", "norm3.bias"});
    TransformerEncoder stack(o, 2, true);
    names.clear();
    for (const auto& [n, p] : stack.named_parameters()) names.push_back(n);
    CHECK(names.size() == 2 * 12 + 2);
    CHECK(names.front() == "layers.0.self_attn.in_proj_weight");
    CHECK(names[12] == "layers.1.self_attn.in_proj_weight");
    CHECK(names.back() == "norm.bias");
    TransformerDecoder dstack(o, 3);
    CHECK(dstack.named_parameters().size() == 3 * 18);
    CHECK_FALSE(dstack.norm);
    o.activation = "swish";
    CHECK_THROWS_AS(TransformerEncoderLayer{o}, ValueError);
}

TEST_CASE("encoder layer: post-LN and pre-LN follow their formulas") {
    for (bool norm_first : {false, true}) {
        CAPTURE(norm_first);
        TransformerLayerOptions o;
        o.d_model = 4;
        o.nhead = 2;
        o.dim_feedforward = 6;
        o.dropout = 0.0;
        o.norm_first = norm_first;
        o.dtype = DType::f64;
        TransformerEncoderLayer layer(o);
        const Tensor x = randn({2, 3, 4}, DType::f64);
        const auto sa = [&](const Tensor& h) { return layer.self_attn->forward(h); };
        const auto ff = [&](const Tensor& h) { return layer.linear2->forward(relu(layer.linear1->forward(h))); };
        Tensor expected;
        if (norm_first) {
            const Tensor h = add(x, sa(layer.norm1->forward(x)));
            expected = add(h, ff(layer.norm2->forward(h)));
        } else {
            const Tensor h = layer.norm1->forward(add(x, sa(x)));
            expected = layer.norm2->forward(add(h, ff(h)));
        }
        CHECK(allclose(layer.forward(x), expected, 1e-12, 1e-12));
    }
}

TEST_CASE("gradcheck: encoder and decoder layers (pre-LN and post-LN, gelu, masks)") {
    for (bool norm_first : {false, true}) {
        CAPTURE(norm_first);
        TransformerLayerOptions o;
        o.d_model = 4;
        o.nhead = 2;
        o.dim_feedforward = 6;
        o.dropout = 0.0;
        o.norm_first = norm_first;
        o.activation = norm_first ? "gelu" : "relu";
        o.dtype = DType::f64;
        Generator gen(11);
        TransformerEncoderLayer enc(o);
        TransformerDecoderLayer dec(o);
        const Tensor src = randn({2, 3, 4}, DType::f64, &gen).requires_grad_();
        const Tensor tgt = randn({2, 2, 4}, DType::f64, &gen).requires_grad_();
        const Tensor pad = from_vector<bool>({false, false, true, false, false, false}, Dims{2, 3});
        const Tensor src_weights = randn({2, 3, 4}, DType::f64, &gen);
        const Tensor weights = randn({2, 2, 4}, DType::f64, &gen);
        // Scalar outputs keep the number of backward passes small; the random weights keep every element visible.
        check_grads(
            [&](const std::vector<Tensor>& in) {
                return std::vector<Tensor>{sum(mul(enc.forward(in[0], {}, pad), src_weights))};
            },
            {src, enc.self_attn->in_proj_weight, enc.linear1->weight, enc.norm1->weight});
        check_grads(
            [&](const std::vector<Tensor>& in) {
                const Tensor memory = enc.forward(in[1], {}, pad);
                return std::vector<Tensor>{sum(mul(dec.forward(in[0], memory, {}, {}, {}, pad, true), weights))};
            },
            {tgt, src, dec.multihead_attn->in_proj_weight, dec.self_attn->out_proj->bias, dec.norm3->bias});
    }
}
