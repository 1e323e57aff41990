// The chapter 4 decoder LM's attention maps: what attention_maps returns is
// the softmax the model computes (checked against a recomputation from the
// first block's projections), causal, one distribution per query, and asking
// for it changes neither the logits nor the module's mode.
#include <doctest/doctest.h>

#include <cmath>

#include "models/guide/decoder_lm.h"

using namespace peso;
using namespace peso::models;

namespace {

DecoderLm small_model() {
    DecoderLmConfig c;
    c.vocab_size = 11;
    c.max_len = 8;
    c.d_model = 8;
    c.n_heads = 2;
    c.n_layers = 2;
    c.d_ff = 16;
    c.dropout = 0.1;
    manual_seed(7);
    return DecoderLm(c);
}

}  // namespace

TEST_CASE("DecoderLm::attention_maps is the causal softmax of each layer") {
    DecoderLm model = small_model();
    const std::vector<std::int64_t> ids{1, 4, 9, 2, 7};
    const auto maps = model.attention_maps(ids);
    REQUIRE(maps.size() == 2);
    for (const Tensor& m : maps) {
        REQUIRE(m.sizes() == Dims{2, 5, 5});
        CHECK(allclose(sum(m, {-1}), ones({2, 5}), 1e-5, 1e-6));
        // Nothing above the diagonal: query i never reads key j > i.
        CHECK(amax(abs(mul(m, triu(ones({5, 5}), 1)))).item<double>() == 0.0);
        // The first query can only read itself.
        CHECK(allclose(m.select(1, 0).select(1, 0), ones({2}), 1e-6, 1e-6));
    }
    CHECK(model.is_training());  // the mode is restored

    // Layer 0 recomputed from its own projections of LN_1(E[w] + P[t]).
    model.eval();
    NoGradGuard no_grad;
    const Tensor x = from_vector(ids, Dims{1, 5});
    const Tensor e = add(model.tok_emb->forward(x), model.pos_emb->forward(arange(5, TensorOptions(DType::i64))));
    const auto& block = (*model.blocks)[0];
    const Tensor h = block->ln_1->forward(e);
    const auto heads = [](const Tensor& t) { return t.view({1, 5, 2, 4}).transpose(1, 2); };
    const Tensor q = heads(block->attn->w_q->forward(h)), k = heads(block->attn->w_k->forward(h));
    Tensor scores = div(matmul(q, k.transpose(-2, -1)), std::sqrt(4.0));
    scores = masked_fill(scores, triu(ones({5, 5}, TensorOptions(DType::b8)), 1),
                         -std::numeric_limits<double>::infinity());
    CHECK(allclose(maps[0], softmax(scores, -1).squeeze(0), 1e-5, 1e-6));

    // Collecting the weights does not change what the model computes.
    std::vector<Tensor> collected;
    CHECK(allclose(model.forward(x, &collected), model.forward(x), 0, 0));
    CHECK(collected.size() == 2);
}
