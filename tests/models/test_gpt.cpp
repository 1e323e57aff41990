#include <doctest/doctest.h>

#include <cmath>

#include "models/gpt/generation.h"
#include "models/gpt/gpt.h"
#include "nn/optim/adam.h"

using namespace peso;
using namespace peso::models;

namespace {

GptConfig tiny(std::int64_t vocab = 11, std::int64_t block = 8) {
    GptConfig c;
    c.n_layer = 2;
    c.n_head = 2;
    c.n_embd = 8;
    c.block_size = block;
    c.vocab_size = vocab;
    return c;
}

// GPT-2's parameter count for a config, from the architecture's shapes.
std::int64_t expected_params(const GptConfig& c) {
    const std::int64_t E = c.n_embd;
    const std::int64_t per_block = 2 * 2 * E + (E * 3 * E + 3 * E) + (E * E + E) + (E * 4 * E + 4 * E) + (4 * E * E + E);
    return c.vocab_size * E + c.block_size * E + c.n_layer * per_block + 2 * E;
}

}  // namespace

TEST_CASE("GPT: parameter names, count, tied head and config presets") {
    Generator gen(1);
    Gpt model(tiny(), &gen);
    const auto names = model.named_parameters();
    CHECK(names.front().first == "transformer.wte.weight");
    CHECK(names[1].first == "transformer.wpe.weight");
    CHECK(names[2].first == "transformer.h.0.ln_1.weight");
    CHECK(names[4].first == "transformer.h.0.attn.c_attn.weight");
    CHECK(names.back().first == "transformer.ln_f.bias");  // lm_head.weight is wte's, listed once
    CHECK(model.num_parameters() == expected_params(tiny()));
    CHECK(model.lm_head->weight.is_same(model.wte->weight));
    const auto sd = model.state_dict();
    CHECK(std::any_of(sd.begin(), sd.end(), [](const auto& kv) { return kv.first == "lm_head.weight"; }));
    // GPT-2 small: 124,439,808 parameters with its 50257-token vocabulary (checked from the shapes).
    CHECK(expected_params(GptConfig::preset("gpt2", 50257)) == 124439808);
    CHECK(GptConfig::preset("gpt-mini", 65, 128).n_embd == 192);
    CHECK_THROWS_AS(GptConfig::preset("gpt5", 10), ValueError);
    GptConfig bad = tiny();
    bad.n_embd = 9;
    CHECK_THROWS_AS(Gpt{bad}, ValueError);
    CHECK(GptConfig::from_json(tiny().to_json()).n_embd == 8);
    CHECK_THROWS_AS(GptConfig::from_json("{\"n_layer\": 2}"), ValueError);
}

TEST_CASE("GPT: forward shapes, initial loss near ln(vocab), bad inputs") {
    Generator gen(2);
    Gpt model(tiny(), &gen);
    const Tensor idx = randint(0, 11, {3, 8}, {}, &gen);
    const auto out = model.forward(idx, idx);
    CHECK(out.logits.sizes() == Dims{3, 8, 11});
    CHECK(std::abs(out.loss.item<float>() - std::log(11.0f)) < 0.3f);
    CHECK(model.forward(idx, {}, true).logits.sizes() == Dims{3, 1, 11});
    CHECK_THROWS_AS(model.forward(randint(0, 11, {1, 9}, {}, &gen)), ValueError);  // longer than block_size
    CHECK_THROWS_AS(model.forward(ones({2, 3})), ShapeError);                   // not int64
}

TEST_CASE("GPT: the residual projections get GPT-2's scaled init, decay only on matrices") {
    Generator gen(3);
    GptConfig c = tiny();
    c.n_embd = 64;
    c.n_head = 4;
    c.vocab_size = 200;
    Gpt model(c, &gen);
    const double s_proj = peso::std(model.h->operator[](0)->attn->c_proj->weight).item<float>();
    const double s_fc = peso::std(model.h->operator[](0)->mlp->c_fc->weight).item<float>();
    CHECK(s_fc == doctest::Approx(0.02).epsilon(0.1));
    CHECK(s_proj == doctest::Approx(0.02 / std::sqrt(2.0 * c.n_layer)).epsilon(0.1));
    const auto groups = model.optimizer_groups(0.1);
    for (const Tensor& p : groups[0].params) CHECK(p.dim() >= 2);
    for (const Tensor& p : groups[1].params) CHECK(p.dim() < 2);
    CHECK(groups[0].params.size() + groups[1].params.size() == model.parameters().size());
}

TEST_CASE("GPT: gradients pass gradcheck (float64, tiny model)") {
    Generator gen(4);
    GptConfig c = tiny(5, 4);
    c.n_layer = 1;
    c.n_embd = 4;
    Gpt model(c, &gen);
    model.to(DType::f64);
    const Tensor idx = from_vector<std::int64_t>({1, 4, 0, 2, 3, 3}, Dims{2, 3});
    const Tensor tgt = from_vector<std::int64_t>({4, 0, 2, -1, 3, 1}, Dims{2, 3});
    // Check through a few parameters: the attention, the MLP and the tied embedding.
    std::vector<Tensor> params = {model.wte->weight, (*model.h)[0]->attn->c_attn->weight, (*model.h)[0]->mlp->c_proj->bias};
    auto fn = [&](const std::vector<Tensor>&) -> std::vector<Tensor> { return {model.forward(idx, tgt).loss}; };
    const auto r = autograd::gradcheck(fn, params, {1e-6, 1e-6, 1e-4});
    CHECK_MESSAGE(r.ok, r.report);
}

TEST_CASE("GPT: a tiny model memorizes a sequence") {
    Generator gen(5);
    Gpt model(tiny(11, 8), &gen);
    const Tensor seq = from_vector<std::int64_t>({1, 3, 5, 7, 9, 2, 4, 6, 8}, Dims{1, 9});
    const Tensor x = seq.narrow(1, 0, 8), y = seq.narrow(1, 1, 8);
    nn::optim::AdamW opt(model.optimizer_groups(0.0), {});
    opt.set_lr(1e-2);
    float loss = 0;
    for (int step = 0; step < 200; ++step) {
        const auto out = model.forward(x, y);
        opt.zero_grad();
        out.loss.backward();
        opt.step();
        loss = out.loss.item<float>();
    }
    CHECK(loss < 0.05f);
    SamplingOptions greedy;
    greedy.temperature = 0.0;
    greedy.max_new_tokens = 4;
    CHECK(generate(model, {1, 3, 5}, greedy) == std::vector<std::int64_t>{7, 9, 2, 4});
}

TEST_CASE("generation: the KV cache gives the same tokens as recomputing, also past block_size") {
    Generator gen(6);
    Gpt model(tiny(11, 8), &gen);
    for (double temperature : {0.0, 0.8}) {
        SamplingOptions o;
        o.temperature = temperature;
        o.top_k = 6;
        o.top_p = 0.9;
        o.seed = 42;
        o.max_new_tokens = 20;  // slides past the 8-token window
        o.use_cache = true;
        const auto cached = generate(model, {1, 2, 3}, o);
        o.use_cache = false;
        const auto recomputed = generate(model, {1, 2, 3}, o);
        CHECK(cached.size() == 20);
        CHECK(cached == recomputed);
    }
    SamplingOptions stop;
    stop.temperature = 0.0;
    stop.max_new_tokens = 50;
    const auto first = generate(model, {1}, {0, 0.0});  // zero new tokens
    CHECK(first.empty());
    const auto g = generate(model, {1}, stop);
    stop.stop_token = g[2];
    const auto stopped = generate(model, {1}, stop);
    CHECK(stopped.back() == g[2]);
    CHECK(stopped.size() <= 3);
    CHECK_THROWS_AS(generate(model, {}, stop), ValueError);
    CHECK_THROWS_AS(generate(model, {99}, stop), ValueError);
}

TEST_CASE("sampling: top-k and top-p restrict the candidates") {
    Generator gen(7);
    const Tensor logits = from_vector<float>({5.0f, 4.0f, 1.0f, 0.0f, -1.0f});
    SamplingOptions o;
    o.top_k = 2;
    for (int i = 0; i < 50; ++i) CHECK(sample_token(logits, o, gen) < 2);
    SamplingOptions p;
    p.top_p = 0.5;  // the first token alone has probability ~0.72
    for (int i = 0; i < 50; ++i) CHECK(sample_token(logits, p, gen) == 0);
    SamplingOptions bad;
    bad.top_p = 1.5;
    CHECK_THROWS_AS(sample_token(logits, bad, gen), ValueError);
}

TEST_CASE("GPT: activation checkpointing gives the same loss and gradients (float64, with dropout)") {
    GptConfig c = tiny(13, 8);
    c.n_layer = 3;
    c.dropout = 0.2;  // the recomputation must draw the forward's dropout masks
    Generator gen(21);
    Gpt model(c, &gen);
    model.to(DType::f64);
    model.train();
    const Tensor idx = randint(0, 13, {2, 8}, TensorOptions(DType::i64), &gen);
    const Tensor targets = randint(0, 13, {2, 8}, TensorOptions(DType::i64), &gen);

    const auto run = [&](bool checkpointed) {
        model.set_checkpoint_activations(checkpointed);
        model.zero_grad();
        manual_seed(77);
        const Tensor loss = model.forward(idx, targets).loss;
        loss.backward();
        std::vector<Tensor> grads;
        for (const Tensor& p : model.parameters()) grads.push_back(p.grad().clone());
        return std::make_pair(loss.item<double>(), grads);
    };
    const auto [plain_loss, plain] = run(false);
    const auto [ckpt_loss, ckpt] = run(true);
    CHECK(ckpt_loss == doctest::Approx(plain_loss).epsilon(1e-14));
    REQUIRE(plain.size() == ckpt.size());
    for (std::size_t i = 0; i < plain.size(); ++i) {
        CAPTURE(i);
        CHECK(allclose(ckpt[i], plain[i], 1e-12, 1e-12));
        CHECK(native::any(native::ne(plain[i], 0.0)).item<bool>());
    }
    // A different dropout draw gives other gradients: the match above is not vacuous.
    model.set_checkpoint_activations(false);
    model.zero_grad();
    manual_seed(78);
    model.forward(idx, targets).loss.backward();
    CHECK_FALSE(allclose(model.parameters()[2].grad(), plain[2], 1e-6, 1e-6));
}
