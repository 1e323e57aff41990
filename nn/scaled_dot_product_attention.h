#pragma once
// Scaled dot-product attention, as torch.nn.functional.scaled_dot_product_attention:
// the one place both attention modules (nn/attention.h's MultiheadAttention
// and the GPT's CausalSelfAttention) compute softmax(q k^T * scale + mask) v.
// Calls without attn_mask (causal or not, with or without dropout) run the
// fused op peso::fused_attention (tiles, online softmax, no (T, S) matrix in
// memory); calls with a mask, and attention_weights, run the composite of
// tensor ops (matmul, mask, softmax, dropout, matmul).
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

// Whether scaled_dot_product_attention may take the fused path (on by
// default), as torch.backends.cuda.enable_flash_sdp: off, every call runs
// the composite (for comparisons and measurements).
void set_fused_attention_enabled(bool enabled);
bool fused_attention_enabled();

// The attention weights softmax(q k^T * scale + mask) (..., T, S) that
// scaled_dot_product_attention multiplies value by (before dropout), for
// callers that return them (MultiheadAttention's need_weights).
Tensor attention_weights(const Tensor& query, const Tensor& key, const Tensor& attn_mask = {}, bool is_causal = false,
                         std::optional<double> scale = {});

}  // namespace peso::nn::functional
