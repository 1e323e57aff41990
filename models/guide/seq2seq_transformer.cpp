#include "models/guide/seq2seq_transformer.h"

#include <cmath>

#include "nn/losses.h"

namespace peso::models {

namespace {

nn::TransformerLayerOptions layer_options(const Seq2SeqConfig& c) {
    nn::TransformerLayerOptions o;
    o.d_model = c.d_model;
    o.nhead = c.nhead;
    o.dim_feedforward = c.dim_feedforward;
    o.dropout = c.dropout;
    o.norm_first = false;  // post-LN, as the original; attention_maps relies on it
    return o;
}

// Runs `fn` in eval mode without gradients, then restores the module's mode.
template <typename Fn> auto evaluating(nn::Module& m, Fn fn) {
    const bool was_training = m.is_training();
    m.eval();
    NoGradGuard no_grad;
    auto result = fn();
    m.train(was_training);
    return result;
}

}  // namespace

void Seq2SeqConfig::validate() const {
    PESO_CHECK(src_vocab > 0 && tgt_vocab > 0 && max_len > 0, ValueError,
               "Seq2SeqTransformer: src_vocab {}, tgt_vocab {} and max_len {} must be positive", src_vocab, tgt_vocab,
               max_len);
    PESO_CHECK(d_model > 0 && nhead > 0 && d_model % nhead == 0, ValueError,
               "Seq2SeqTransformer: d_model {} must be a positive multiple of nhead {}", d_model, nhead);
}

Seq2SeqTransformer::Seq2SeqTransformer(const Seq2SeqConfig& config) : config_(config) {
    config_.validate();
    const auto& c = config_;
    src_emb = register_module("src_emb", std::make_shared<nn::Embedding>(c.src_vocab, c.d_model, c.pad));
    tgt_emb = register_module("tgt_emb", std::make_shared<nn::Embedding>(c.tgt_vocab, c.d_model, c.pad));
    positions = register_module("positions",
                                std::make_shared<nn::SinusoidalPositionalEncoding>(c.d_model, c.max_len, c.dropout));
    encoder = register_module("encoder", std::make_shared<nn::TransformerEncoder>(layer_options(c),
                                                                                    c.num_encoder_layers));
    decoder = register_module("decoder", std::make_shared<nn::TransformerDecoder>(layer_options(c),
                                                                                    c.num_decoder_layers));
    generator = register_module("generator", std::make_shared<nn::Linear>(c.d_model, c.tgt_vocab));
    // N(0, 1/d) entries, so that the sqrt(d) scaling in embed() gives
    // embeddings of unit size, comparable to the sinusoids (an N(0, 1) table
    // scaled by sqrt(d) would drown the positions).
    NoGradGuard no_grad;
    for (const auto& table : {src_emb, tgt_emb}) {
        normal_(table->weight, 0.0, 1.0 / std::sqrt(static_cast<double>(c.d_model)));
        table->weight.select(0, c.pad).zero_();
    }
}

Tensor Seq2SeqTransformer::embed(const nn::Embedding& table, const Tensor& ids) const {
    PESO_CHECK(ids.dim() == 2 && ids.dtype() == DType::i64, ShapeError,
               "Seq2SeqTransformer: expected int64 ids (B, L), got {} {}", ids.dtype(), ids.sizes());
    PESO_CHECK(ids.size(1) <= config_.max_len, ValueError, "Seq2SeqTransformer: {} tokens, max_len is {}",
               ids.size(1), config_.max_len);
    return positions->forward(mul(table.forward(ids), std::sqrt(static_cast<double>(config_.d_model))));
}

Tensor Seq2SeqTransformer::encode(const Tensor& src) const {
    return encoder->forward(embed(*src_emb, src), {}, eq(src, config_.pad));
}

Tensor Seq2SeqTransformer::decode(const Tensor& tgt, const Tensor& memory, const Tensor& src) const {
    const Tensor y = decoder->forward(embed(*tgt_emb, tgt), memory, /*tgt_mask=*/{}, /*memory_mask=*/{},
                                      eq(tgt, config_.pad), eq(src, config_.pad), /*tgt_is_causal=*/true);
    return generator->forward(y);
}

Tensor Seq2SeqTransformer::loss(const Tensor& src, const Tensor& tgt_in, const Tensor& tgt_out) const {
    const Tensor logits = forward(src, tgt_in);
    nn::CrossEntropyLossOptions opts;
    opts.ignore_index = config_.pad;
    return nn::functional::cross_entropy(logits.reshape({-1, config_.tgt_vocab}), tgt_out.reshape({-1}), opts);
}

std::vector<std::vector<std::int64_t>> Seq2SeqTransformer::greedy(const Tensor& src, std::int64_t max_len) {
    return evaluating(*this, [&] {
        const Tensor memory = encode(src);
        const std::int64_t B = src.size(0);
        const TensorOptions ids = TensorOptions(DType::i64).device(src.device());
        Tensor ys = full({B, 1}, config_.bos, ids);
        std::vector<std::vector<std::int64_t>> out(static_cast<std::size_t>(B));
        std::vector<bool> done(static_cast<std::size_t>(B), false);
        for (std::int64_t step = 0; step < std::min(max_len, config_.max_len - 1); ++step) {
            const Tensor last = decode(ys, memory, src).select(1, ys.size(1) - 1);  // (B, V)
            auto next = to_device(argmax(last, -1), Device::cpu()).to_vector<std::int64_t>();
            bool all_done = true;
            for (std::size_t b = 0; b < next.size(); ++b) {
                if (done[b]) next[b] = config_.pad;  // finished rows only carry padding
                else if (next[b] == config_.eos) done[b] = true;
                else out[b].push_back(next[b]);
                all_done = all_done && done[b];
            }
            if (all_done) break;
            ys = cat({ys, to_device(from_vector(next, Dims{B, 1}), src.device())}, 1);
        }
        return out;
    });
}

Tensor Seq2SeqTransformer::next_log_probs(const Tensor& prefixes, const Tensor& memory, const Tensor& src) const {
    const std::int64_t k = prefixes.size(0);
    const Tensor p = to_device(prefixes, memory.device());
    const Tensor logits = decode(p, memory.expand({k, memory.size(1), memory.size(2)}),
                                 src.expand({k, src.size(1)}));
    return log_softmax(logits.select(1, p.size(1) - 1), -1);
}

std::vector<Hypothesis> Seq2SeqTransformer::beam(const Tensor& src, std::int64_t beam_width, std::int64_t max_len,
                                                 double length_penalty) {
    const Tensor s = src.dim() == 1 ? src.unsqueeze(0) : src;
    PESO_CHECK(s.dim() == 2 && s.size(0) == 1, ShapeError, "Seq2SeqTransformer::beam: one source (1, S), got {}",
               src.sizes());
    return evaluating(*this, [&] {
        const Tensor memory = encode(s);
        BeamSearchOptions o;
        o.beam_width = beam_width;
        o.max_len = std::min(max_len, config_.max_len - 1);
        o.bos = config_.bos;
        o.eos = config_.eos;
        o.length_penalty = length_penalty;
        return beam_search([&](const Tensor& prefixes) { return next_log_probs(prefixes, memory, s); }, o);
    });
}

AttentionMaps Seq2SeqTransformer::attention_maps(const Tensor& src, const Tensor& tgt) {
    PESO_CHECK(src.dim() == 2 && src.size(0) == 1 && tgt.dim() == 2 && tgt.size(0) == 1, ShapeError,
               "Seq2SeqTransformer::attention_maps: one example, src (1, S) and tgt (1, T), got {} and {}",
               src.sizes(), tgt.sizes());
    return evaluating(*this, [&] {
        AttentionMaps maps;
        const Tensor src_pad = eq(src, config_.pad);
        nn::AttentionArgs args;
        args.need_weights = true;
        args.average_attn_weights = false;  // (1, H, queries, keys)
        // Each layer's weights come from calling its attention modules on the
        // layer's own inputs; the layer's forward then gives the next input.
        Tensor x = embed(*src_emb, src);
        for (const auto& layer : *encoder->layers) {
            nn::AttentionArgs a = args;
            a.key_padding_mask = src_pad;
            maps.encoder_self.push_back(layer->self_attn->forward(x, x, x, a).weights.squeeze(0));
            x = layer->forward(x, {}, src_pad);
        }
        const Tensor memory = encoder->norm ? encoder->norm->forward(x) : x;
        Tensor y = embed(*tgt_emb, tgt);
        for (const auto& layer : *decoder->layers) {
            nn::AttentionArgs self_args = args;
            self_args.is_causal = true;
            const auto self = layer->self_attn->forward(y, y, y, self_args);
            maps.decoder_self.push_back(self.weights.squeeze(0));
            // Post-LN: cross-attention reads norm1(y + self-attention(y)) (no dropout in eval).
            const Tensor after_self = layer->norm1->forward(add(y, self.output));
            nn::AttentionArgs cross_args = args;
            cross_args.key_padding_mask = src_pad;
            const auto cross = layer->multihead_attn->forward(after_self, memory, memory, cross_args);
            maps.cross.push_back(cross.weights.squeeze(0));
            y = layer->forward(y, memory, {}, {}, {}, src_pad, true);
        }
        return maps;
    });
}

}  // namespace peso::models
