#pragma once
// A small decoder-only transformer language model over words (the guide's
// chapter on attention): token + learned position embeddings, pre-LN blocks
// of causal multi-head self-attention and a ReLU feed-forward layer, a final
// LayerNorm and a linear head to the vocabulary. The attention is written
// out op by op (not nn::MultiheadAttention) so that each equation of the
// chapter has its own line.
#include <cstdint>
#include <memory>
#include <vector>

#include "nn/containers.h"
#include "nn/embedding.h"
#include "nn/layer_norm.h"
#include "nn/linear.h"

namespace peso::models {

struct DecoderLmConfig {
    std::int64_t vocab_size = 0;
    std::int64_t max_len = 32;  // longest sequence (positions 0 .. max_len - 1)
    std::int64_t d_model = 64;
    std::int64_t n_heads = 2;
    std::int64_t n_layers = 2;
    std::int64_t d_ff = 256;
    double dropout = 0.1;
    void validate() const;
};

// softmax(Q K^T / sqrt(d_k) + mask) V for every head, then the output projection.
class MaskedSelfAttention : public nn::Module {
public:
    explicit MaskedSelfAttention(const DecoderLmConfig& c);
    // x (B, T, d_model); future (T, T) bool, true where key j > query i.
    // `weights`, when given, receives the attention weights (B, H, T, T)
    // before dropout.
    Tensor forward(const Tensor& x, const Tensor& future, Tensor* weights = nullptr) const;
    std::string type_name() const override { return "MaskedSelfAttention"; }

    std::shared_ptr<nn::Linear> w_q, w_k, w_v, w_o;

private:
    std::int64_t n_heads_, d_model_;
    double dropout_;
};

class DecoderLmBlock : public nn::Module {
public:
    explicit DecoderLmBlock(const DecoderLmConfig& c);
    Tensor forward(const Tensor& x, const Tensor& future, Tensor* weights = nullptr) const;
    std::string type_name() const override { return "DecoderLmBlock"; }

    std::shared_ptr<nn::LayerNorm> ln_1, ln_2;
    std::shared_ptr<MaskedSelfAttention> attn;
    std::shared_ptr<nn::Linear> ff_1, ff_2;

private:
    double dropout_;
};

class DecoderLm : public nn::Module {
public:
    explicit DecoderLm(const DecoderLmConfig& config);

    // ids (B, T) int64, T <= max_len -> logits (B, T, vocab_size).
    // `attention`, when given, receives each layer's weights (B, H, T, T).
    Tensor forward(const Tensor& ids, std::vector<Tensor>* attention = nullptr) const;

    // Mean cross-entropy of next-token prediction over the targets that are
    // not `ignore_index` (padding).
    Tensor loss(const Tensor& ids, const Tensor& targets, std::int64_t ignore_index) const;

    // Appends the most likely next token to `prompt` until `stop` or max_len
    // tokens (eval mode, no gradients; the mode is restored).
    std::vector<std::int64_t> greedy(std::vector<std::int64_t> prompt, std::int64_t stop);

    // The attention weights of one sequence of ids, one (H, T, T) tensor per
    // layer (row i: how query i spreads over keys 0..i); eval mode, no
    // gradients, the mode is restored.
    std::vector<Tensor> attention_maps(const std::vector<std::int64_t>& ids);

    const DecoderLmConfig& config() const { return config_; }
    std::string type_name() const override { return "DecoderLm"; }

    std::shared_ptr<nn::Embedding> tok_emb, pos_emb;
    std::shared_ptr<nn::ModuleList<DecoderLmBlock>> blocks;
    std::shared_ptr<nn::LayerNorm> ln_f;
    std::shared_ptr<nn::Linear> head;

private:
    DecoderLmConfig config_;
};

}  // namespace peso::models
