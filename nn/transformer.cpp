#include "nn/transformer.h"

namespace peso::nn {

namespace {

void check_options(const TransformerLayerOptions& o, const char* who) {
    PESO_CHECK(o.d_model > 0 && o.nhead > 0 && o.dim_feedforward > 0, ValueError,
               "{}: d_model, nhead and dim_feedforward must be positive, got {}, {} and {}", who, o.d_model, o.nhead,
               o.dim_feedforward);
    PESO_CHECK(o.activation == "relu" || o.activation == "gelu", ValueError,
               "{}: activation should be relu or gelu, not '{}'", who, o.activation);
}

Tensor activate(const Tensor& x, const std::string& activation) {
    return activation == "relu" ? relu(x) : gelu(x);
}

AttentionArgs attention_args(const Tensor& mask, const Tensor& key_padding_mask, bool is_causal) {
    AttentionArgs a;
    a.attn_mask = mask;
    a.key_padding_mask = key_padding_mask;
    a.is_causal = is_causal;
    return a;
}

std::shared_ptr<MultiheadAttention> make_attention(const TransformerLayerOptions& o) {
    return std::make_shared<MultiheadAttention>(o.d_model, o.nhead, o.dropout, o.bias, o.batch_first, o.dtype);
}

std::shared_ptr<LayerNorm> make_norm(const TransformerLayerOptions& o) {
    return std::make_shared<LayerNorm>(o.d_model, o.layer_norm_eps, true, o.bias, o.dtype);
}

}  // namespace

// ---- encoder layer ---------------------------------------------------------------

TransformerEncoderLayer::TransformerEncoderLayer(const TransformerLayerOptions& o) : options_(o) {
    check_options(o, "TransformerEncoderLayer");
    // Registration order is PyTorch's, so named_parameters() lists the same names in the same order.
    self_attn = register_module("self_attn", make_attention(o));
    linear1 = register_module("linear1", std::make_shared<Linear>(o.d_model, o.dim_feedforward, o.bias, o.dtype));
    dropout = register_module("dropout", std::make_shared<Dropout>(o.dropout));
    linear2 = register_module("linear2", std::make_shared<Linear>(o.dim_feedforward, o.d_model, o.bias, o.dtype));
    norm1 = register_module("norm1", make_norm(o));
    norm2 = register_module("norm2", make_norm(o));
    dropout1 = register_module("dropout1", std::make_shared<Dropout>(o.dropout));
    dropout2 = register_module("dropout2", std::make_shared<Dropout>(o.dropout));
}

Tensor TransformerEncoderLayer::self_attention_block(const Tensor& x, const Tensor& mask,
                                                     const Tensor& key_padding_mask, bool is_causal) const {
    return dropout1->forward(self_attn->forward(x, x, x, attention_args(mask, key_padding_mask, is_causal)).output);
}

Tensor TransformerEncoderLayer::feed_forward_block(const Tensor& x) const {
    const Tensor h = dropout->forward(activate(linear1->forward(x), options_.activation));
    return dropout2->forward(linear2->forward(h));
}

Tensor TransformerEncoderLayer::forward(const Tensor& src, const Tensor& src_mask,
                                        const Tensor& src_key_padding_mask, bool is_causal) const {
    Tensor x = src;
    if (options_.norm_first) {
        x = add(x, self_attention_block(norm1->forward(x), src_mask, src_key_padding_mask, is_causal));
        x = add(x, feed_forward_block(norm2->forward(x)));
    } else {
        x = norm1->forward(add(x, self_attention_block(x, src_mask, src_key_padding_mask, is_causal)));
        x = norm2->forward(add(x, feed_forward_block(x)));
    }
    return x;
}

// ---- decoder layer ---------------------------------------------------------------

TransformerDecoderLayer::TransformerDecoderLayer(const TransformerLayerOptions& o) : options_(o) {
    check_options(o, "TransformerDecoderLayer");
    self_attn = register_module("self_attn", make_attention(o));
    multihead_attn = register_module("multihead_attn", make_attention(o));
    linear1 = register_module("linear1", std::make_shared<Linear>(o.d_model, o.dim_feedforward, o.bias, o.dtype));
    dropout = register_module("dropout", std::make_shared<Dropout>(o.dropout));
    linear2 = register_module("linear2", std::make_shared<Linear>(o.dim_feedforward, o.d_model, o.bias, o.dtype));
    norm1 = register_module("norm1", make_norm(o));
    norm2 = register_module("norm2", make_norm(o));
    norm3 = register_module("norm3", make_norm(o));
    dropout1 = register_module("dropout1", std::make_shared<Dropout>(o.dropout));
    dropout2 = register_module("dropout2", std::make_shared<Dropout>(o.dropout));
    dropout3 = register_module("dropout3", std::make_shared<Dropout>(o.dropout));
}

Tensor TransformerDecoderLayer::feed_forward_block(const Tensor& x) const {
    const Tensor h = dropout->forward(activate(linear1->forward(x), options_.activation));
    return dropout3->forward(linear2->forward(h));
}

Tensor TransformerDecoderLayer::forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask,
                                        const Tensor& memory_mask, const Tensor& tgt_key_padding_mask,
                                        const Tensor& memory_key_padding_mask, bool tgt_is_causal,
                                        bool memory_is_causal) const {
    PESO_CHECK(memory.defined(), ValueError, "TransformerDecoderLayer: undefined memory");
    const AttentionArgs self_args = attention_args(tgt_mask, tgt_key_padding_mask, tgt_is_causal);
    const AttentionArgs cross_args = attention_args(memory_mask, memory_key_padding_mask, memory_is_causal);
    const auto sa = [&](const Tensor& x) { return dropout1->forward(self_attn->forward(x, x, x, self_args).output); };
    const auto mha = [&](const Tensor& x) {
        return dropout2->forward(multihead_attn->forward(x, memory, memory, cross_args).output);
    };
    Tensor x = tgt;
    if (options_.norm_first) {
        x = add(x, sa(norm1->forward(x)));
        x = add(x, mha(norm2->forward(x)));
        x = add(x, feed_forward_block(norm3->forward(x)));
    } else {
        x = norm1->forward(add(x, sa(x)));
        x = norm2->forward(add(x, mha(x)));
        x = norm3->forward(add(x, feed_forward_block(x)));
    }
    return x;
}

// ---- stacks ----------------------------------------------------------------------

TransformerEncoder::TransformerEncoder(const TransformerLayerOptions& o, std::int64_t num_layers, bool final_norm) {
    PESO_CHECK(num_layers >= 0, ValueError, "TransformerEncoder: num_layers must be >= 0, got {}", num_layers);
    layers = register_module("layers", std::make_shared<ModuleList<TransformerEncoderLayer>>());
    for (std::int64_t i = 0; i < num_layers; ++i) layers->push_back(std::make_shared<TransformerEncoderLayer>(o));
    if (final_norm) norm = register_module("norm", make_norm(o));
}

Tensor TransformerEncoder::forward(const Tensor& src, const Tensor& mask, const Tensor& src_key_padding_mask,
                                   bool is_causal) const {
    Tensor x = src;
    for (const auto& layer : *layers) x = layer->forward(x, mask, src_key_padding_mask, is_causal);
    return norm ? norm->forward(x) : x;
}

TransformerDecoder::TransformerDecoder(const TransformerLayerOptions& o, std::int64_t num_layers, bool final_norm) {
    PESO_CHECK(num_layers >= 0, ValueError, "TransformerDecoder: num_layers must be >= 0, got {}", num_layers);
    layers = register_module("layers", std::make_shared<ModuleList<TransformerDecoderLayer>>());
    for (std::int64_t i = 0; i < num_layers; ++i) layers->push_back(std::make_shared<TransformerDecoderLayer>(o));
    if (final_norm) norm = register_module("norm", make_norm(o));
}

Tensor TransformerDecoder::forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask,
                                   const Tensor& memory_mask, const Tensor& tgt_key_padding_mask,
                                   const Tensor& memory_key_padding_mask, bool tgt_is_causal,
                                   bool memory_is_causal) const {
    Tensor x = tgt;
    for (const auto& layer : *layers)
        x = layer->forward(x, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask,
                           tgt_is_causal, memory_is_causal);
    return norm ? norm->forward(x) : x;
}

}  // namespace peso::nn
