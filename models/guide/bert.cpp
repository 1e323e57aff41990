#include "models/guide/bert.h"

#include <cmath>

#include "nn/init.h"

namespace peso::models {

namespace F = nn::functional;

void BertConfig::validate() const {
    PESO_CHECK(vocab_size > 0, ValueError, "BertConfig: vocab_size must be positive, got {}", vocab_size);
    PESO_CHECK(d_model > 0 && n_head > 0 && d_model % n_head == 0, ValueError,
               "BertConfig: d_model ({}) must be a positive multiple of n_head ({})", d_model, n_head);
    PESO_CHECK(n_layer > 0 && d_ff > 0 && max_len > 0 && type_vocab > 0, ValueError,
               "BertConfig: n_layer, d_ff, max_len and type_vocab must be positive, got {}, {}, {}, {}", n_layer,
               d_ff, max_len, type_vocab);
    PESO_CHECK(pad_id >= 0 && pad_id < vocab_size, ValueError, "BertConfig: pad_id {} outside the vocabulary of {}",
               pad_id, vocab_size);
    PESO_CHECK(dropout >= 0 && dropout < 1, ValueError, "BertConfig: dropout must be in [0, 1), got {}", dropout);
}

// ---- embeddings ----------------------------------------------------------------------

BertEmbeddings::BertEmbeddings(const BertConfig& c) {
    tok = register_module("tok", std::make_shared<nn::Embedding>(c.vocab_size, c.d_model, c.pad_id));
    pos = register_module("pos", std::make_shared<nn::Embedding>(c.max_len, c.d_model));
    seg = register_module("seg", std::make_shared<nn::Embedding>(c.type_vocab, c.d_model));
    norm = register_module("norm", std::make_shared<nn::LayerNorm>(c.d_model));
    dropout = register_module("dropout", std::make_shared<nn::Dropout>(c.dropout));
    // N(0, 1) tables would swamp one another in the sum; BERT draws them
    // with std 0.02 and lets the LayerNorm set the scale.
    for (nn::Embedding* e : {tok.get(), pos.get(), seg.get()}) nn::init::normal_(e->weight, 0.0, 0.02);
    nn::init::zeros_(tok->weight.select(0, c.pad_id));
}

Tensor BertEmbeddings::forward(const Tensor& ids, const Tensor& segments) const {
    const std::int64_t T = ids.size(1);
    PESO_CHECK(T <= pos->num_embeddings(), ValueError, "Bert: sequence of {} tokens exceeds max_len {}", T,
               pos->num_embeddings());
    const Tensor positions = arange(0, T, 1, TensorOptions(DType::i64).device(ids.device()));
    const Tensor e = add(add(tok->forward(ids), pos->forward(positions)), seg->forward(segments));
    return dropout->forward(norm->forward(e));
}

// ---- encoder -------------------------------------------------------------------------

Bert::Bert(const BertConfig& c) : config_(c) {
    config_.validate();
    embeddings = register_module("embeddings", std::make_shared<BertEmbeddings>(config_));
    nn::TransformerLayerOptions o;
    o.d_model = config_.d_model;
    o.nhead = config_.n_head;
    o.dim_feedforward = config_.d_ff;
    o.dropout = config_.dropout;
    o.activation = "gelu";
    o.norm_first = false;  // BERT is post-LN: x = LN(x + sublayer(x))
    encoder = register_module("encoder", std::make_shared<nn::TransformerEncoder>(o, config_.n_layer));
}

Tensor Bert::forward(const Tensor& ids, const Tensor& segments) const {
    PESO_CHECK(ids.dim() == 2 && ids.dtype() == DType::i64, ShapeError,
               "Bert: expected token ids of shape (B, T) and dtype int64, got shape {} dtype {}", ids.sizes(),
               ids.dtype());
    const Tensor segs = segments.defined() ? segments : zeros(ids.sizes(), TensorOptions(DType::i64).device(ids.device()));
    PESO_CHECK(segs.sizes() == ids.sizes(), ShapeError, "Bert: segments of shape {} for ids of shape {}", segs.sizes(),
               ids.sizes());
    // Padding keys are invisible to every query: true = masked.
    const Tensor padding = eq(ids, config_.pad_id);
    return encoder->forward(embeddings->forward(ids, segs), {}, padding);
}

// ---- pre-training heads ---------------------------------------------------------------

BertForPretraining::BertForPretraining(const BertConfig& c) {
    bert = register_module("bert", std::make_shared<Bert>(c));
    mlm_transform = register_module("mlm_transform", std::make_shared<nn::Linear>(c.d_model, c.d_model));
    mlm_norm = register_module("mlm_norm", std::make_shared<nn::LayerNorm>(c.d_model));
    mlm_bias = register_parameter("mlm_bias", zeros({c.vocab_size}));
    pooler = register_module("pooler", std::make_shared<nn::Linear>(c.d_model, c.d_model));
    nsp = register_module("nsp", std::make_shared<nn::Linear>(c.d_model, 2));
}

BertPretrainingOutput BertForPretraining::forward(const Tensor& ids, const Tensor& segments) const {
    const Tensor h = bert->forward(ids, segments);  // (B, T, d)
    BertPretrainingOutput out;
    const Tensor t = mlm_norm->forward(gelu(mlm_transform->forward(h)));
    // Tied output layer: scores against every token's input embedding.
    out.mlm_logits = F::linear(t, bert->embeddings->tok->weight, mlm_bias);  // (B, T, V)
    const Tensor cls = h.select(1, 0);                                       // (B, d): the [CLS] position
    out.nsp_logits = nsp->forward(tanh(pooler->forward(cls)));              // (B, 2)
    return out;
}

// ---- tagger ------------------------------------------------------------------------------

EncoderTagger::EncoderTagger(const BertConfig& c, std::int64_t num_tags)
    : EncoderTagger(std::make_shared<Bert>(c), num_tags) {}

EncoderTagger::EncoderTagger(std::shared_ptr<Bert> enc, std::int64_t num_tags) {
    PESO_CHECK(enc != nullptr, ValueError, "EncoderTagger: null encoder");
    PESO_CHECK(num_tags > 0, ValueError, "EncoderTagger: num_tags must be positive, got {}", num_tags);
    encoder = register_module("encoder", std::move(enc));
    dropout = register_module("dropout", std::make_shared<nn::Dropout>(encoder->config().dropout));
    head = register_module("head", std::make_shared<nn::Linear>(encoder->config().d_model, num_tags));
}

Tensor EncoderTagger::forward(const Tensor& ids) const {
    return head->forward(dropout->forward(encoder->forward(ids)));
}

}  // namespace peso::models
