#include "nn/scaled_dot_product_attention.h"

#include <atomic>
#include <cmath>
#include <limits>

#include "nn/dropout.h"
#include "peso.h"

namespace peso::nn::functional {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

void check_inputs(const Tensor& query, const Tensor& key, const Tensor* value) {
    PESO_CHECK(query.defined() && key.defined() && (!value || value->defined()), ValueError,
               "scaled_dot_product_attention: undefined query, key or value");
    PESO_CHECK(query.dim() >= 2 && key.dim() >= 2 && (!value || value->dim() >= 2), ShapeError,
               "scaled_dot_product_attention: query, key and value need at least 2 dims, got {}, {} and {}",
               query.sizes(), key.sizes(), value ? value->sizes() : Dims{});
    PESO_CHECK(query.size(-1) == key.size(-1), ShapeError,
               "scaled_dot_product_attention: query {} and key {} differ in their last dim", query.sizes(),
               key.sizes());
    PESO_CHECK(!value || value->size(-2) == key.size(-2), ShapeError,
               "scaled_dot_product_attention: key {} and value {} differ in their number of keys", key.sizes(),
               value ? value->sizes() : Dims{});
    PESO_CHECK(query.is_floating_point() && key.dtype() == query.dtype() && (!value || value->dtype() == query.dtype()),
               DTypeError, "scaled_dot_product_attention: query, key and value must share one floating dtype");
}

// True where key j > query i (the future), shaped (T, S).
Tensor future_mask(std::int64_t T, std::int64_t S, Device device) {
    return triu(ones({T, S}, TensorOptions(DType::b8).device(device)), 1);
}

// The masked, scaled scores (..., T, S).
Tensor masked_scores(const Tensor& query, const Tensor& key, const Tensor& attn_mask, bool is_causal,
                     std::optional<double> scale) {
    const double s = scale.value_or(1.0 / std::sqrt(static_cast<double>(query.size(-1))));
    Tensor scores = mul(matmul(query, key.transpose(-2, -1)), s);
    const std::int64_t T = query.size(-2), S = key.size(-2);
    if (is_causal) scores = masked_fill(scores, future_mask(T, S, scores.device()), kNegInf);
    if (!attn_mask.defined()) return scores;
    if (attn_mask.dtype() == DType::b8) return masked_fill(scores, native::logical_not(attn_mask), kNegInf);
    PESO_CHECK(attn_mask.is_floating_point(), DTypeError,
               "scaled_dot_product_attention: attn_mask must be bool or floating, got {}", attn_mask.dtype());
    return add(scores, attn_mask.to(scores.dtype()));
}

std::atomic<bool>& fused_flag() {
    static std::atomic<bool> flag{true};
    return flag;
}

// The fused op covers no mask or the causal one, on float32/float64, with at
// least one key and a non-empty head dim.
bool can_fuse(const Tensor& query, const Tensor& key, const Tensor& attn_mask) {
    const DType t = query.dtype();
    return fused_flag().load() && !attn_mask.defined() && (t == DType::f32 || t == DType::f64) &&
           key.size(-2) > 0 && query.size(-1) > 0;
}

}  // namespace

void set_fused_attention_enabled(bool enabled) { fused_flag().store(enabled); }
bool fused_attention_enabled() { return fused_flag().load(); }

Tensor attention_weights(const Tensor& query, const Tensor& key, const Tensor& attn_mask, bool is_causal,
                         std::optional<double> scale) {
    check_inputs(query, key, nullptr);
    Tensor scores = masked_scores(query, key, attn_mask, is_causal, scale);
    // Only an explicit mask can hide every key of a query (a causal one
    // leaves each query its first key): those rows get zero weights, with
    // no host read of whether there are any.
    if (!attn_mask.defined()) return softmax(scores, -1);
    const Tensor dead = native::eq(native::amax(scores.detach(), {-1}, true), kNegInf);
    return masked_fill(softmax(masked_fill(scores, dead, 0.0), -1), dead, 0.0);
}

Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                    const Tensor& attn_mask, double dropout_p, bool is_causal,
                                    std::optional<double> scale, Generator* gen) {
    check_inputs(query, key, &value);
    PESO_CHECK(dropout_p >= 0.0 && dropout_p <= 1.0, ValueError,
               "scaled_dot_product_attention: dropout_p must be in [0, 1], got {}", dropout_p);
    if (can_fuse(query, key, attn_mask)) {
        const double s = scale.value_or(1.0 / std::sqrt(static_cast<double>(query.size(-1))));
        return fused_attention(query, key, value, is_causal, s, dropout_p, gen);
    }
    Tensor weights = attention_weights(query, key, attn_mask, is_causal, scale);
    if (dropout_p > 0.0) weights = dropout(weights, dropout_p, true, gen);
    return matmul(weights, value);
}

}  // namespace peso::nn::functional
