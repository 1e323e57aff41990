#pragma once
// Autoregressive sampling from a GPT, with a KV cache so that the prefix is
// never recomputed (until the context window is full and must slide).
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "models/gpt/gpt.h"

namespace peso::models {

struct SamplingOptions {
    std::int64_t max_new_tokens = 100;
    double temperature = 1.0;           // 0: greedy (argmax)
    std::optional<std::int64_t> top_k;  // keep the k most likely tokens
    std::optional<double> top_p;        // keep the smallest set with probability >= p
    std::uint64_t seed = 1337;
    std::optional<std::int64_t> stop_token;  // generation ends after producing it
    bool use_cache = true;
};

// Next-token choice from logits (vocab) under the options (temperature,
// top-k, top-p), drawing from gen.
std::int64_t sample_token(const Tensor& logits, const SamplingOptions& opts, Generator& gen);

// Generates up to max_new_tokens after `prompt` (non-empty). on_token is
// called with each new token as soon as it exists (for streaming). The model
// runs in eval mode without gradients; its mode is restored afterwards.
std::vector<std::int64_t> generate(Gpt& model, const std::vector<std::int64_t>& prompt, const SamplingOptions& opts,
                                   const std::function<void(std::int64_t)>& on_token = {});

}  // namespace peso::models
