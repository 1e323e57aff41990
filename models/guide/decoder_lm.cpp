#include "models/guide/decoder_lm.h"

#include <cmath>
#include <limits>

#include "nn/dropout.h"
#include "nn/losses.h"

namespace peso::models {

namespace F = nn::functional;

void DecoderLmConfig::validate() const {
    PESO_CHECK(vocab_size > 0 && max_len > 0 && d_model > 0 && n_heads > 0 && n_layers >= 0 && d_ff > 0,
               ValueError, "DecoderLm: sizes must be positive (vocab {}, max_len {}, d_model {}, heads {}, d_ff {})",
               vocab_size, max_len, d_model, n_heads, d_ff);
    PESO_CHECK(d_model % n_heads == 0, ValueError, "DecoderLm: d_model {} is not divisible by {} heads", d_model,
               n_heads);
    PESO_CHECK(dropout >= 0.0 && dropout < 1.0, ValueError, "DecoderLm: dropout {} outside [0, 1)", dropout);
}

// ---- attention ---------------------------------------------------------------------

MaskedSelfAttention::MaskedSelfAttention(const DecoderLmConfig& c)
    : n_heads_(c.n_heads), d_model_(c.d_model), dropout_(c.dropout) {
    w_q = register_module("w_q", std::make_shared<nn::Linear>(c.d_model, c.d_model));
    w_k = register_module("w_k", std::make_shared<nn::Linear>(c.d_model, c.d_model));
    w_v = register_module("w_v", std::make_shared<nn::Linear>(c.d_model, c.d_model));
    w_o = register_module("w_o", std::make_shared<nn::Linear>(c.d_model, c.d_model));
}

Tensor MaskedSelfAttention::forward(const Tensor& x, const Tensor& future, Tensor* weights) const {
    const std::int64_t B = x.size(0), T = x.size(1), H = n_heads_, d_k = d_model_ / n_heads_;
    // (B, T, d_model) -> (B, H, T, d_k): each head sees its own d_k columns.
    const auto split_heads = [&](const Tensor& t) { return t.view({B, T, H, d_k}).transpose(1, 2); };
    const Tensor q = split_heads(w_q->forward(x));
    const Tensor k = split_heads(w_k->forward(x));
    const Tensor v = split_heads(w_v->forward(x));
    Tensor scores = div(matmul(q, k.transpose(-2, -1)), std::sqrt(static_cast<double>(d_k)));  // (B, H, T, T)
    scores = masked_fill(scores, future, -std::numeric_limits<double>::infinity());
    const Tensor alpha = softmax(scores, -1);  // (B, H, T, T)
    if (weights) *weights = alpha;
    const Tensor heads = matmul(F::dropout(alpha, dropout_, is_training()), v);  // (B, H, T, d_k)
    return w_o->forward(heads.transpose(1, 2).reshape({B, T, d_model_}));
}

// ---- block ---------------------------------------------------------------------------

DecoderLmBlock::DecoderLmBlock(const DecoderLmConfig& c) : dropout_(c.dropout) {
    ln_1 = register_module("ln_1", std::make_shared<nn::LayerNorm>(c.d_model));
    attn = register_module("attn", std::make_shared<MaskedSelfAttention>(c));
    ln_2 = register_module("ln_2", std::make_shared<nn::LayerNorm>(c.d_model));
    ff_1 = register_module("ff_1", std::make_shared<nn::Linear>(c.d_model, c.d_ff));
    ff_2 = register_module("ff_2", std::make_shared<nn::Linear>(c.d_ff, c.d_model));
}

Tensor DecoderLmBlock::forward(const Tensor& x, const Tensor& future, Tensor* weights) const {
    const Tensor a = add(x, F::dropout(attn->forward(ln_1->forward(x), future, weights), dropout_, is_training()));
    const Tensor ff = ff_2->forward(relu(ff_1->forward(ln_2->forward(a))));
    return add(a, F::dropout(ff, dropout_, is_training()));
}

// ---- model ---------------------------------------------------------------------------

DecoderLm::DecoderLm(const DecoderLmConfig& config) : config_(config) {
    config_.validate();
    tok_emb = register_module("tok_emb", std::make_shared<nn::Embedding>(config_.vocab_size, config_.d_model));
    pos_emb = register_module("pos_emb", std::make_shared<nn::Embedding>(config_.max_len, config_.d_model));
    blocks = register_module("blocks", std::make_shared<nn::ModuleList<DecoderLmBlock>>());
    for (std::int64_t i = 0; i < config_.n_layers; ++i) blocks->push_back(std::make_shared<DecoderLmBlock>(config_));
    ln_f = register_module("ln_f", std::make_shared<nn::LayerNorm>(config_.d_model));
    head = register_module("head", std::make_shared<nn::Linear>(config_.d_model, config_.vocab_size));
}

Tensor DecoderLm::forward(const Tensor& ids, std::vector<Tensor>* attention) const {
    PESO_CHECK(ids.dim() == 2 && ids.dtype() == DType::i64, ShapeError,
               "DecoderLm: expected int64 ids of shape (B, T), got {} {}", ids.dtype(), ids.sizes());
    const std::int64_t T = ids.size(1);
    PESO_CHECK(T >= 1 && T <= config_.max_len, ValueError, "DecoderLm: {} tokens, max_len is {}", T,
               config_.max_len);
    const TensorOptions on_device = TensorOptions(DType::i64).device(ids.device());
    const Tensor positions = arange(T, on_device);
    Tensor x = add(tok_emb->forward(ids), pos_emb->forward(positions));  // (B, T, d_model)
    x = F::dropout(x, config_.dropout, is_training());
    // One mask for every layer and head: query i may not see keys j > i.
    const Tensor future = triu(ones({T, T}, TensorOptions(DType::b8).device(ids.device())), 1);
    for (std::size_t i = 0; i < blocks->size(); ++i)
        x = (*blocks)[i]->forward(x, future, attention ? &attention->emplace_back() : nullptr);
    return head->forward(ln_f->forward(x));
}

Tensor DecoderLm::loss(const Tensor& ids, const Tensor& targets, std::int64_t ignore_index) const {
    const Tensor logits = forward(ids);
    nn::CrossEntropyLossOptions opts;
    opts.ignore_index = ignore_index;
    return F::cross_entropy(logits.reshape({-1, config_.vocab_size}), targets.reshape({-1}), opts);
}

std::vector<std::int64_t> DecoderLm::greedy(std::vector<std::int64_t> prompt, std::int64_t stop) {
    PESO_CHECK(!prompt.empty(), ValueError, "DecoderLm::greedy: empty prompt");
    const bool was_training = is_training();
    eval();
    NoGradGuard no_grad;
    const Device device = head->weight.device();
    while (static_cast<std::int64_t>(prompt.size()) < config_.max_len) {
        const auto T = static_cast<std::int64_t>(prompt.size());
        const Tensor ids = to_device(from_vector(prompt, Dims{1, T}), device);
        const Tensor last = forward(ids).select(1, T - 1);  // (1, vocab)
        const std::int64_t next = argmax(last, -1).to_vector<std::int64_t>()[0];
        prompt.push_back(next);
        if (next == stop) break;
    }
    train(was_training);
    return prompt;
}

std::vector<Tensor> DecoderLm::attention_maps(const std::vector<std::int64_t>& ids) {
    const bool was_training = is_training();
    eval();
    NoGradGuard no_grad;
    const auto T = static_cast<std::int64_t>(ids.size());
    std::vector<Tensor> maps;
    forward(to_device(from_vector(ids, Dims{1, T}), head->weight.device()), &maps);
    for (Tensor& m : maps) m = m.squeeze(0);  // (H, T, T)
    train(was_training);
    return maps;
}

}  // namespace peso::models
