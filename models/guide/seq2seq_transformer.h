#pragma once
// The encoder-decoder transformer of "Attention Is All You Need" for
// sequence-to-sequence tasks (the guide's full transformer): source and target
// word embeddings scaled by sqrt(d_model) plus sinusoidal positions, a stack
// of post-LN encoder layers over the source, a stack of decoder layers with
// causal self-attention and cross-attention to the encoder's output, and a
// linear layer to the target vocabulary. Padding is masked in every attention.
#include <cstdint>
#include <memory>
#include <vector>

#include "models/guide/beam_search.h"
#include "nn/embedding.h"
#include "nn/linear.h"
#include "nn/positional.h"
#include "nn/transformer.h"

namespace peso::models {

struct Seq2SeqConfig {
    std::int64_t src_vocab = 0, tgt_vocab = 0;
    std::int64_t d_model = 64;
    std::int64_t nhead = 4;
    std::int64_t num_encoder_layers = 2, num_decoder_layers = 2;
    std::int64_t dim_feedforward = 128;
    double dropout = 0.1;
    std::int64_t max_len = 64;  // longest source or target sequence
    std::int64_t pad = 0, bos = 1, eos = 2;
    void validate() const;
};

// Attention weights for one example, one (heads, queries, keys) tensor per layer.
struct AttentionMaps {
    std::vector<Tensor> encoder_self;  // (H, S, S)
    std::vector<Tensor> decoder_self;  // (H, T, T)
    std::vector<Tensor> cross;         // (H, T, S)
};

class Seq2SeqTransformer : public nn::Module {
public:
    explicit Seq2SeqTransformer(const Seq2SeqConfig& config);

    // src (B, S) int64, padded with config.pad -> memory (B, S, d_model).
    Tensor encode(const Tensor& src) const;
    // tgt (B, T) int64 starting with bos, memory from encode(src) -> logits (B, T, tgt_vocab).
    Tensor decode(const Tensor& tgt, const Tensor& memory, const Tensor& src) const;
    Tensor forward(const Tensor& src, const Tensor& tgt) const { return decode(tgt, encode(src), src); }
    // Mean cross-entropy of tgt_out given tgt_in (= bos + tgt_out shifted), padding ignored.
    Tensor loss(const Tensor& src, const Tensor& tgt_in, const Tensor& tgt_out) const;

    // Decoding in eval mode without gradients (the mode is restored). The
    // outputs hold the generated tokens without bos and eos.
    // Greedy for a batch of sources (B, S), all at once.
    std::vector<std::vector<std::int64_t>> greedy(const Tensor& src, std::int64_t max_len);
    // Beam search for one source (1, S) or (S); the best hypotheses first.
    std::vector<Hypothesis> beam(const Tensor& src, std::int64_t beam_width, std::int64_t max_len,
                                 double length_penalty = 0.0);

    // Every attention map of one example: src (1, S), tgt (1, T) (bos first).
    AttentionMaps attention_maps(const Tensor& src, const Tensor& tgt);

    const Seq2SeqConfig& config() const { return config_; }
    std::string type_name() const override { return "Seq2SeqTransformer"; }

    std::shared_ptr<nn::Embedding> src_emb, tgt_emb;
    std::shared_ptr<nn::SinusoidalPositionalEncoding> positions;
    std::shared_ptr<nn::TransformerEncoder> encoder;
    std::shared_ptr<nn::TransformerDecoder> decoder;
    std::shared_ptr<nn::Linear> generator;

private:
    Tensor embed(const nn::Embedding& table, const Tensor& ids) const;
    // The decoder's next-token log-probabilities for prefixes (k, t), given
    // one source's memory (1, S, d) and its ids (1, S).
    Tensor next_log_probs(const Tensor& prefixes, const Tensor& memory, const Tensor& src) const;

    Seq2SeqConfig config_;
};

}  // namespace peso::models
