#pragma once
// Transformer encoder and decoder layers and their stacks, as torch.nn's
// TransformerEncoderLayer / TransformerDecoderLayer / TransformerEncoder /
// TransformerDecoder, with the same parameter names
// (self_attn.in_proj_weight, linear1.weight, norm1.weight, ...).
#include <memory>
#include <string>

#include "nn/attention.h"
#include "nn/containers.h"
#include "nn/dropout.h"
#include "nn/layer_norm.h"
#include "nn/linear.h"

namespace peso::nn {

struct TransformerLayerOptions {
    std::int64_t d_model = 512;
    std::int64_t nhead = 8;
    std::int64_t dim_feedforward = 2048;
    double dropout = 0.1;
    std::string activation = "relu";  // "relu" or "gelu" (erf)
    double layer_norm_eps = 1e-5;
    bool batch_first = true;  // PyTorch's default is false
    bool norm_first = false;  // true: pre-LN, false: post-LN (the original Transformer)
    bool bias = true;         // in the Linear, attention and LayerNorm layers
    DType dtype = kDefaultDType;
};

// post-LN: x = norm1(x + sa(x)); x = norm2(x + ff(x))
// pre-LN:  x = x + sa(norm1(x)); x = x + ff(norm2(x))
class TransformerEncoderLayer : public Module {
public:
    explicit TransformerEncoderLayer(const TransformerLayerOptions& options);

    // src (B, T, E). src_mask / src_key_padding_mask / is_causal as in
    // MultiheadAttention's AttentionArgs (bool true = masked).
    Tensor forward(const Tensor& src, const Tensor& src_mask = {}, const Tensor& src_key_padding_mask = {},
                   bool is_causal = false) const;

    const TransformerLayerOptions& options() const { return options_; }
    std::string type_name() const override { return "TransformerEncoderLayer"; }

    std::shared_ptr<MultiheadAttention> self_attn;
    std::shared_ptr<Linear> linear1;
    std::shared_ptr<Dropout> dropout;
    std::shared_ptr<Linear> linear2;
    std::shared_ptr<LayerNorm> norm1, norm2;
    std::shared_ptr<Dropout> dropout1, dropout2;

private:
    Tensor self_attention_block(const Tensor& x, const Tensor& mask, const Tensor& key_padding_mask,
                                bool is_causal) const;
    Tensor feed_forward_block(const Tensor& x) const;

    TransformerLayerOptions options_;
};

// post-LN: x = norm1(x + sa(x)); x = norm2(x + mha(x, memory)); x = norm3(x + ff(x))
// pre-LN:  x = x + sa(norm1(x)); x = x + mha(norm2(x), memory); x = x + ff(norm3(x))
class TransformerDecoderLayer : public Module {
public:
    explicit TransformerDecoderLayer(const TransformerLayerOptions& options);

    // tgt (B, T, E), memory (B, S, E).
    Tensor forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask = {},
                   const Tensor& memory_mask = {}, const Tensor& tgt_key_padding_mask = {},
                   const Tensor& memory_key_padding_mask = {}, bool tgt_is_causal = false,
                   bool memory_is_causal = false) const;

    const TransformerLayerOptions& options() const { return options_; }
    std::string type_name() const override { return "TransformerDecoderLayer"; }

    std::shared_ptr<MultiheadAttention> self_attn;
    std::shared_ptr<MultiheadAttention> multihead_attn;
    std::shared_ptr<Linear> linear1;
    std::shared_ptr<Dropout> dropout;
    std::shared_ptr<Linear> linear2;
    std::shared_ptr<LayerNorm> norm1, norm2, norm3;
    std::shared_ptr<Dropout> dropout1, dropout2, dropout3;

private:
    Tensor feed_forward_block(const Tensor& x) const;

    TransformerLayerOptions options_;
};

// num_layers encoder layers ("layers.0", "layers.1", ...) and, when
// final_norm, a LayerNorm ("norm") after them (usual with pre-LN layers).
// Each layer is initialized on its own (PyTorch deep-copies one layer, so its
// layers start equal).
class TransformerEncoder : public Module {
public:
    TransformerEncoder(const TransformerLayerOptions& layer_options, std::int64_t num_layers,
                       bool final_norm = false);

    Tensor forward(const Tensor& src, const Tensor& mask = {}, const Tensor& src_key_padding_mask = {},
                   bool is_causal = false) const;

    std::string type_name() const override { return "TransformerEncoder"; }

    std::shared_ptr<ModuleList<TransformerEncoderLayer>> layers;
    std::shared_ptr<LayerNorm> norm;  // null without final_norm
};

class TransformerDecoder : public Module {
public:
    TransformerDecoder(const TransformerLayerOptions& layer_options, std::int64_t num_layers,
                       bool final_norm = false);

    Tensor forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask = {},
                   const Tensor& memory_mask = {}, const Tensor& tgt_key_padding_mask = {},
                   const Tensor& memory_key_padding_mask = {}, bool tgt_is_causal = false,
                   bool memory_is_causal = false) const;

    std::string type_name() const override { return "TransformerDecoder"; }

    std::shared_ptr<ModuleList<TransformerDecoderLayer>> layers;
    std::shared_ptr<LayerNorm> norm;  // null without final_norm
};

}  // namespace peso::nn
