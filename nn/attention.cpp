#include "nn/attention.h"

#include <limits>

#include "nn/dropout.h"
#include "nn/init.h"
#include "nn/scaled_dot_product_attention.h"

namespace peso::nn {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

void check_mask_dtype(const Tensor& m, const char* what) {
    PESO_CHECK(m.dtype() == DType::b8 || m.is_floating_point(), DTypeError,
               "MultiheadAttention: {} must be bool (true = masked) or floating (added to the scores), got {}",
               what, m.dtype());
}

// attn_mask as a tensor that broadcasts against the scores (B, H, T, S).
Tensor attn_mask_4d(const Tensor& m, std::int64_t B, std::int64_t H, std::int64_t T, std::int64_t S) {
    check_mask_dtype(m, "attn_mask");
    if (m.dim() == 2) {
        PESO_CHECK(m.size(0) == T && m.size(1) == S, ShapeError,
                   "MultiheadAttention: 2-D attn_mask must be (T, S) = ({}, {}), got {}", T, S, m.sizes());
        return m.view({1, 1, T, S});
    }
    if (m.dim() == 3) {
        PESO_CHECK(m.size(0) == B * H && m.size(1) == T && m.size(2) == S, ShapeError,
                   "MultiheadAttention: 3-D attn_mask must be (B * num_heads, T, S) = ({}, {}, {}), got {}", B * H,
                   T, S, m.sizes());
        return m.reshape({B, H, T, S});
    }
    const Dims want{B, H, T, S};
    bool ok = m.dim() == 4;
    for (int i = 0; ok && i < 4; ++i) ok = m.size(i) == want[i] || m.size(i) == 1;
    PESO_CHECK(ok, ShapeError,
               "MultiheadAttention: attn_mask of shape {} is neither (T, S), (B * num_heads, T, S) nor "
               "broadcastable to (B, num_heads, T, S) = {}",
               m.sizes(), want);
    return m;
}

Tensor key_padding_mask_4d(const Tensor& m, std::int64_t B, std::int64_t S, bool batched) {
    check_mask_dtype(m, "key_padding_mask");
    const bool ok = batched ? (m.dim() == 2 && m.size(0) == B && m.size(1) == S) : (m.dim() == 1 && m.size(0) == S);
    PESO_CHECK(ok, ShapeError, "MultiheadAttention: key_padding_mask must be {}, got {}",
               batched ? fmt::format("(B, S) = ({}, {})", B, S) : fmt::format("(S) = ({})", S), m.sizes());
    return m.reshape({batched ? B : 1, 1, 1, S});
}

// attn_mask and key_padding_mask as one mask in scaled_dot_product_attention's
// convention (bool: true = may attend; floating: added to the scores), or
// undefined when neither is given. The causal mask stays a flag.
Tensor sdpa_mask(const AttentionArgs& args, std::int64_t B, std::int64_t H, std::int64_t T, std::int64_t S,
                 bool batched, DType scores_dtype) {
    Tensor masked, added;  // bool (true = masked, MultiheadAttention's convention) and floating parts
    for (const Tensor& m : {args.attn_mask.defined() ? attn_mask_4d(args.attn_mask, B, H, T, S) : Tensor(),
                            args.key_padding_mask.defined()
                                ? key_padding_mask_4d(args.key_padding_mask, B, S, batched)
                                : Tensor()}) {
        if (!m.defined()) continue;
        if (m.dtype() == DType::b8) masked = masked.defined() ? native::logical_or(masked, m) : m;
        else added = added.defined() ? add(added, m.detach().to(scores_dtype)) : m.detach().to(scores_dtype);
    }
    if (!added.defined()) return masked.defined() ? native::logical_not(masked) : Tensor();
    return masked.defined() ? masked_fill(added, masked, kNegInf) : added;
}

}  // namespace

MultiheadAttention::MultiheadAttention(std::int64_t embed_dim, std::int64_t num_heads, double dropout, bool bias,
                                       bool batch_first, DType dtype, Generator* gen)
    : embed_dim_(embed_dim), num_heads_(num_heads), dropout_(dropout), batch_first_(batch_first) {
    PESO_CHECK(embed_dim > 0 && num_heads > 0, ValueError,
               "MultiheadAttention: embed_dim and num_heads must be positive, got {} and {}", embed_dim, num_heads);
    PESO_CHECK(embed_dim % num_heads == 0, ValueError,
               "MultiheadAttention: embed_dim ({}) must be divisible by num_heads ({})", embed_dim, num_heads);
    PESO_CHECK(dropout >= 0.0 && dropout <= 1.0, ValueError,
               "MultiheadAttention: dropout must be between 0 and 1, got {}", dropout);
    in_proj_weight = register_parameter("in_proj_weight", empty({3 * embed_dim, embed_dim}, dtype));
    if (bias) in_proj_bias = register_parameter("in_proj_bias", empty({3 * embed_dim}, dtype));
    out_proj = register_module("out_proj", std::make_shared<Linear>(embed_dim, embed_dim, bias, dtype, gen));
    // PyTorch's _reset_parameters.
    init::xavier_uniform_(in_proj_weight, 1.0, gen);
    if (bias) {
        init::zeros_(in_proj_bias);
        init::zeros_(out_proj->bias);
    }
}

AttentionOutput MultiheadAttention::forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                            const AttentionArgs& args) const {
    PESO_CHECK(query.defined() && key.defined() && value.defined(), ValueError,
               "MultiheadAttention: undefined query, key or value");
    PESO_CHECK((query.dim() == 3 || query.dim() == 2) && key.dim() == query.dim() && value.dim() == query.dim(),
               ShapeError,
               "MultiheadAttention: query, key and value must all be 3-D (batched) or all 2-D (unbatched), got "
               "{}, {} and {}",
               query.sizes(), key.sizes(), value.sizes());
    // Identity, not equality, picks the fused projections (as PyTorch's `is` checks).
    const bool self_attention = query.is_same(key) && key.is_same(value);
    const bool kv_same = key.is_same(value);
    const bool batched = query.dim() == 3;
    const auto layout = [&](const Tensor& t) {
        if (!batched) return t.unsqueeze(0);
        return batch_first_ ? t : t.transpose(0, 1);
    };
    const Tensor q_in = layout(query), k_in = layout(key), v_in = layout(value);
    const std::int64_t E = embed_dim_, H = num_heads_, hd = head_dim();
    const std::int64_t B = q_in.size(0), T = q_in.size(1), S = k_in.size(1);
    PESO_CHECK(q_in.size(2) == E && k_in.size(2) == E && v_in.size(2) == E, ShapeError,
               "MultiheadAttention(embed_dim={}): query, key and value must end with {}, got {}, {} and {}", E, E,
               query.sizes(), key.sizes(), value.sizes());
    PESO_CHECK(k_in.size(0) == B && v_in.size(0) == B && v_in.size(1) == S, ShapeError,
               "MultiheadAttention: key {} and value {} do not match the batch of query {} or each other",
               key.sizes(), value.sizes(), query.sizes());

    // ---- projections, slicing in_proj_weight as PyTorch's _in_projection_packed
    const auto w = [&](std::int64_t first, std::int64_t n) { return in_proj_weight.narrow(0, first * E, n * E); };
    const auto b = [&](std::int64_t first, std::int64_t n) {
        return in_proj_bias.defined() ? in_proj_bias.narrow(0, first * E, n * E) : Tensor();
    };
    Tensor q, k, v;
    if (self_attention) {
        const Tensor qkv = functional::linear(q_in, in_proj_weight, in_proj_bias);
        q = qkv.narrow(-1, 0, E);
        k = qkv.narrow(-1, E, E);
        v = qkv.narrow(-1, 2 * E, E);
    } else if (kv_same) {
        q = functional::linear(q_in, w(0, 1), b(0, 1));
        const Tensor kv = functional::linear(k_in, w(1, 2), b(1, 2));
        k = kv.narrow(-1, 0, E);
        v = kv.narrow(-1, E, E);
    } else {
        q = functional::linear(q_in, w(0, 1), b(0, 1));
        k = functional::linear(k_in, w(1, 1), b(1, 1));
        v = functional::linear(v_in, w(2, 1), b(2, 1));
    }
    // (B, L, E) -> (B, H, L, hd)
    const auto heads = [&](const Tensor& t, std::int64_t L) { return t.reshape({B, L, H, hd}).permute({0, 2, 1, 3}); };

    // ---- scaled dot-product attention (heads: (B, H, L, hd))
    const Tensor mask = sdpa_mask(args, B, H, T, S, batched, q.dtype());
    const double p = is_training() ? dropout_ : 0.0;
    Tensor weights, context;
    if (args.need_weights) {
        weights = functional::attention_weights(heads(q, T), heads(k, S), mask, args.is_causal);
        if (p > 0.0) weights = functional::dropout(weights, p, true);
        context = matmul(weights, heads(v, S));
    } else {
        context = functional::scaled_dot_product_attention(heads(q, T), heads(k, S), heads(v, S), mask, p,
                                                           args.is_causal);
    }
    Tensor out = out_proj->forward(context.permute({0, 2, 1, 3}).reshape({B, T, E}));
    if (!batched) out = out.squeeze(0);
    else if (!batch_first_) out = out.transpose(0, 1);

    AttentionOutput result{out, Tensor()};
    if (args.need_weights) {
        Tensor wts = args.average_attn_weights ? mean(weights, {1}) : weights;
        result.weights = batched ? wts : wts.squeeze(0);
    }
    return result;
}

Tensor MultiheadAttention::forward(const Tensor& x, const AttentionArgs& args) const {
    AttentionArgs a = args;
    a.need_weights = false;
    return forward(x, x, x, a).output;
}

void MultiheadAttention::replace_parameter(const std::string& name, const Tensor& t) {
    Tensor* member = name == "in_proj_weight" ? &in_proj_weight : name == "in_proj_bias" ? &in_proj_bias : nullptr;
    PESO_CHECK(!member || !member->defined() || (t.defined() && t.sizes() == member->sizes()), ShapeError,
               "MultiheadAttention.replace_parameter: '{}' has shape {}, the replacement has shape {}", name,
               member && member->defined() ? member->sizes() : Dims{}, t.defined() ? t.sizes() : Dims{});
    Module::replace_parameter(name, t);
    if (member) *member = t;
}

}  // namespace peso::nn
