#pragma once
// Scaled dot-product attention, as torch.nn.functional.scaled_dot_product_attention:
// the one place both attention modules (nn/attention.h's MultiheadAttention
// and the GPT's CausalSelfAttention) compute softmax(q k^T * scale + mask) v.
// Today it is the composite of tensor ops (its gradients come from theirs);
// a fused kernel (tiles, online softmax, no (T, S) matrix in memory) can take
// the is_causal / no-mask / no-weights calls without its callers changing.
#include <optional>

#include "tensor/generator.h"
#include "tensor/tensor.h"

namespace peso::nn::functional {

// query (..., T, E), key (..., S, E), value (..., S, Ev) -> (..., T, Ev); the
// leading dims broadcast. attn_mask, broadcastable to (..., T, S): bool (true
// = the query may attend to that key, as in PyTorch's SDPA; note that
// MultiheadAttention's boolean masks mean the opposite) or floating (added to
// the scores). is_causal: query i attends to keys j <= i (aligned top-left,
// as PyTorch); it may be combined with attn_mask. scale defaults to
// 1/sqrt(E). dropout_p > 0 drops attention weights with the mask drawn from
// `gen` (null: the default generator); pass 0 in eval mode.
// Differs from PyTorch on purpose: a query whose keys are all masked gets a
// zero output (and zero gradients) rather than NaN.
Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                    const Tensor& attn_mask = {}, double dropout_p = 0.0, bool is_causal = false,
                                    std::optional<double> scale = {}, Generator* gen = nullptr);

// The attention weights softmax(q k^T * scale + mask) (..., T, S) that
// scaled_dot_product_attention multiplies value by (before dropout), for
// callers that return them (MultiheadAttention's need_weights).
Tensor attention_weights(const Tensor& query, const Tensor& key, const Tensor& attn_mask = {}, bool is_causal = false,
                         std::optional<double> scale = {});

}  // namespace peso::nn::functional
