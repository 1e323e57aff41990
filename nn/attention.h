#pragma once
// Multi-head attention, as torch.nn.MultiheadAttention (batch_first by default).
#include <memory>

#include "nn/linear.h"
#include "nn/module.h"

namespace peso::nn {

// Masks and switches of one attention call. Boolean masks mark what may NOT
// be attended to (true = masked), as PyTorch's MultiheadAttention; floating
// masks are added to the attention scores.
struct AttentionArgs {
    // (B, S), or (S) for unbatched inputs: true marks padding keys.
    Tensor key_padding_mask;
    // (T, S), (B * num_heads, T, S) or anything broadcastable to (B, num_heads, T, S).
    Tensor attn_mask;
    // Masks key j for query i when j > i (ORed with attn_mask). Unlike
    // PyTorch, where is_causal is only a hint about attn_mask, this builds the mask.
    bool is_causal = false;
    // Also return the attention weights (after dropout, as PyTorch).
    bool need_weights = false;
    // Weights averaged over heads (B, T, S), or per head (B, num_heads, T, S).
    bool average_attn_weights = true;
};

struct AttentionOutput {
    Tensor output;   // (B, T, E), or (T, B, E) when !batch_first
    Tensor weights;  // defined when need_weights
};

class MultiheadAttention : public Module {
public:
    // in_proj_weight (3E, E) ~ xavier_uniform, packing the q, k and v
    // projections in that order; in_proj_bias (3E) zero; out_proj a Linear(E, E)
    // with its default weight init and a zero bias.
    MultiheadAttention(std::int64_t embed_dim, std::int64_t num_heads, double dropout = 0.0, bool bias = true,
                       bool batch_first = true, DType dtype = kDefaultDType, Generator* gen = nullptr);

    // query (B, T, E), key and value (B, S, E) (or unbatched (T, E), (S, E)).
    // When query, key and value are the same tensor, q, k and v come from one
    // product with in_proj_weight; when key is value, from two (q, then kv).
    AttentionOutput forward(const Tensor& query, const Tensor& key, const Tensor& value,
                            const AttentionArgs& args = {}) const;
    // Self-attention: forward(x, x, x, args).output.
    Tensor forward(const Tensor& x, const AttentionArgs& args = {}) const;

    void replace_parameter(const std::string& name, const Tensor& t) override;

    std::int64_t embed_dim() const { return embed_dim_; }
    std::int64_t num_heads() const { return num_heads_; }
    std::int64_t head_dim() const { return embed_dim_ / num_heads_; }
    double dropout() const { return dropout_; }
    bool batch_first() const { return batch_first_; }
    std::string type_name() const override { return "MultiheadAttention"; }

    Tensor in_proj_weight;  // (3E, E): rows [0, E) q, [E, 2E) k, [2E, 3E) v
    Tensor in_proj_bias;    // (3E) or undefined
    std::shared_ptr<Linear> out_proj;

private:
    std::int64_t embed_dim_, num_heads_;
    double dropout_;
    bool batch_first_;
};

}  // namespace peso::nn
