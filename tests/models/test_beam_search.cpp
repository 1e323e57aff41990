// Beam search: width 1 makes greedy's choices, a wider beam finds a more
// likely sequence that greedy misses, and the seq2seq transformer's beam of
// width 1 translates exactly as its batched greedy decoder.
#include <doctest/doctest.h>

#include "models/guide/beam_search.h"
#include "models/guide/seq2seq_transformer.h"

using namespace peso;
using namespace peso::models;

namespace {

// A first-order Markov model: the next token's log-probabilities depend on
// the last token only, through a random (V, V) table.
NextLogProbs markov(const Tensor& table) {
    return [table](const Tensor& prefixes) {
        const Tensor last = prefixes.select(1, prefixes.size(1) - 1).contiguous();
        return log_softmax(index_select(table, 0, last), -1);
    };
}

}  // namespace

TEST_CASE("beam search with width 1 equals greedy search") {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        Generator gen(seed);
        const Tensor table = mul(randn({7, 7}, DType::f64, &gen), 2.0);
        BeamSearchOptions o;
        o.beam_width = 1;
        o.max_len = 12;
        o.bos = 0;
        o.eos = 1;
        const Hypothesis g = greedy_search(markov(table), o);
        const auto b = beam_search(markov(table), o);
        REQUIRE(b.size() == 1);
        CHECK(b[0].tokens == g.tokens);
        CHECK(b[0].finished == g.finished);
        CHECK(b[0].log_prob == doctest::Approx(g.log_prob).epsilon(1e-12));
    }
}

TEST_CASE("a wider beam finds the more likely sequence that greedy misses") {
    // From bos (0): token 2 (p 0.6) or token 3 (p 0.4). After 2 every token
    // is equally likely; after 3 the end (1) is certain. Greedy takes 2 and
    // ends with p 0.6 * 1/5 at best; the beam keeps 3 and ends with p 0.4.
    const double lo = -30.0;
    std::vector<double> rows(5 * 5, lo);
    const auto set = [&](int from, int to, double p) { rows[static_cast<std::size_t>(from * 5 + to)] = std::log(p); };
    set(0, 2, 0.6);
    set(0, 3, 0.4);
    for (int t = 0; t < 5; ++t) set(2, t, 0.2);
    set(3, 1, 1.0);
    const Tensor table = from_vector(rows, Dims{5, 5});
    BeamSearchOptions o;
    o.max_len = 6;
    o.bos = 0;
    o.eos = 1;
    o.beam_width = 1;
    const Hypothesis g = greedy_search(markov(table), o);
    CHECK(g.tokens.front() == 2);
    o.beam_width = 2;
    const auto b = beam_search(markov(table), o);
    REQUIRE(!b.empty());
    CHECK(b[0].tokens == std::vector<std::int64_t>{3});
    CHECK(b[0].finished);
    CHECK(b[0].log_prob == doctest::Approx(std::log(0.4)).epsilon(1e-9));
    CHECK(b[0].log_prob > g.log_prob);
    for (std::size_t i = 1; i < b.size(); ++i) CHECK(b[i - 1].score >= b[i].score);
}

TEST_CASE("Seq2SeqTransformer: beam of width 1 equals the batched greedy decoder") {
    manual_seed(5);
    Seq2SeqConfig c;
    c.src_vocab = 12;
    c.tgt_vocab = 9;
    c.d_model = 16;
    c.nhead = 2;
    c.dim_feedforward = 32;
    c.max_len = 16;
    Seq2SeqTransformer model(c);
    // Two sources, the second padded: the padding must not change its translation.
    const Tensor src = from_vector(std::vector<std::int64_t>{4, 5, 6, 7, 8, 9, 10, 0}, Dims{2, 4});
    const auto greedy = model.greedy(src, 10);
    REQUIRE(greedy.size() == 2);
    for (std::int64_t b = 0; b < 2; ++b) {
        const Tensor one = src.select(0, b).unsqueeze(0);
        const auto beam = model.beam(b == 1 ? one.narrow(1, 0, 3) : one, 1, 10);
        REQUIRE(beam.size() == 1);
        CHECK(beam[0].tokens == greedy[static_cast<std::size_t>(b)]);
    }
    CHECK(model.is_training());  // decoding restores the mode
}

TEST_CASE("Seq2SeqTransformer: attention maps have one (H, queries, keys) tensor per layer, rows summing to 1") {
    manual_seed(6);
    Seq2SeqConfig c;
    c.src_vocab = 10;
    c.tgt_vocab = 10;
    c.d_model = 16;
    c.nhead = 2;
    c.dim_feedforward = 32;
    Seq2SeqTransformer model(c);
    const Tensor src = from_vector(std::vector<std::int64_t>{4, 5, 6, 0}, Dims{1, 4});
    const Tensor tgt = from_vector(std::vector<std::int64_t>{1, 7, 8}, Dims{1, 3});
    const AttentionMaps m = model.attention_maps(src, tgt);
    REQUIRE(m.encoder_self.size() == 2);
    REQUIRE(m.cross.size() == 2);
    CHECK(m.encoder_self[0].sizes() == Dims{2, 4, 4});
    CHECK(m.decoder_self[1].sizes() == Dims{2, 3, 3});
    CHECK(m.cross[0].sizes() == Dims{2, 3, 4});
    CHECK(allclose(sum(m.cross[1], {-1}), ones({2, 3}), 1e-5, 1e-6));
    // Padding and the future get no weight.
    CHECK(amax(abs(m.cross[0].select(2, 3))).item<double>() == 0.0);
    CHECK(amax(m.decoder_self[0].select(1, 0).select(1, 2)).item<double>() == 0.0);  // query 0, key 2
}
