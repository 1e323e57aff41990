#pragma once
// BERT-mini: a bidirectional transformer encoder (token + position + segment
// embeddings, post-LN encoder layers) with BERT's two pre-training heads, a
// masked-LM head whose output layer is tied to the token embedding and a
// next-sentence head on the [CLS] position; and the tagger that puts a
// token-classification head on such an encoder (trained from scratch or on a
// pre-trained, frozen one).
#include <cstdint>
#include <memory>

#include "nn/dropout.h"
#include "nn/embedding.h"
#include "nn/layer_norm.h"
#include "nn/linear.h"
#include "nn/transformer.h"

namespace peso::models {

struct BertConfig {
    std::int64_t vocab_size = 0;
    std::int64_t d_model = 64;
    std::int64_t n_layer = 2;
    std::int64_t n_head = 4;
    std::int64_t d_ff = 256;
    std::int64_t max_len = 64;
    std::int64_t type_vocab = 2;  // segments: sentence A, sentence B
    double dropout = 0.1;
    std::int64_t pad_id = 0;  // [PAD]: masked out as a key, no gradient to its row

    void validate() const;  // ValueError naming the field
};

// e = LayerNorm(E_tok[w] + E_pos[t] + E_seg[s]), then dropout.
class BertEmbeddings : public nn::Module {
public:
    explicit BertEmbeddings(const BertConfig& c);
    // ids, segments (B, T) int64 -> (B, T, d_model).
    Tensor forward(const Tensor& ids, const Tensor& segments) const;
    std::string type_name() const override { return "BertEmbeddings"; }

    std::shared_ptr<nn::Embedding> tok, pos, seg;
    std::shared_ptr<nn::LayerNorm> norm;
    std::shared_ptr<nn::Dropout> dropout;
};

// The encoder: embeddings, then n_layer TransformerEncoderLayers that see
// every non-padding position in both directions.
class Bert : public nn::Module {
public:
    explicit Bert(const BertConfig& c);
    // ids (B, T) int64; segments (B, T) int64 or undefined (all sentence A).
    // Returns the contextual vectors (B, T, d_model).
    Tensor forward(const Tensor& ids, const Tensor& segments = {}) const;
    const BertConfig& config() const { return config_; }
    std::string type_name() const override { return "Bert"; }

    std::shared_ptr<BertEmbeddings> embeddings;
    std::shared_ptr<nn::TransformerEncoder> encoder;

private:
    BertConfig config_;
};

struct BertPretrainingOutput {
    Tensor mlm_logits;  // (B, T, vocab)
    Tensor nsp_logits;  // (B, 2): [not next, is next]
};

class BertForPretraining : public nn::Module {
public:
    explicit BertForPretraining(const BertConfig& c);
    BertPretrainingOutput forward(const Tensor& ids, const Tensor& segments) const;
    std::string type_name() const override { return "BertForPretraining"; }

    std::shared_ptr<Bert> bert;
    // MLM head: h -> LayerNorm(gelu(h W_t + b_t)) E_tok^T + b_v (E_tok is the token embedding).
    std::shared_ptr<nn::Linear> mlm_transform;
    std::shared_ptr<nn::LayerNorm> mlm_norm;
    Tensor mlm_bias;  // (vocab)
    // NSP head: tanh(h_[CLS] W_p + b_p) W_n + b_n.
    std::shared_ptr<nn::Linear> pooler, nsp;
};

// Token classification: tag logits for every position of an encoder's output.
class EncoderTagger : public nn::Module {
public:
    // A new, randomly initialized encoder (the from-scratch tagger).
    EncoderTagger(const BertConfig& c, std::int64_t num_tags);
    // A head on an existing encoder (shared, e.g. a pre-trained one).
    EncoderTagger(std::shared_ptr<Bert> encoder, std::int64_t num_tags);
    // ids (B, T) -> (B, T, num_tags).
    Tensor forward(const Tensor& ids) const;
    std::string type_name() const override { return "EncoderTagger"; }

    std::shared_ptr<Bert> encoder;
    std::shared_ptr<nn::Dropout> dropout;
    std::shared_ptr<nn::Linear> head;
};

}  // namespace peso::models
