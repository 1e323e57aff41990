#include "models/gpt/generation.h"

#include <limits>

namespace peso::models {

std::int64_t sample_token(const Tensor& logits, const SamplingOptions& opts, Generator& gen) {
    PESO_CHECK(logits.dim() == 1, ShapeError, "sample_token: expected logits of shape (vocab), got {}", logits.sizes());
    PESO_CHECK(opts.temperature >= 0.0, ValueError, "sampling: temperature must be >= 0, got {}", opts.temperature);
    if (opts.temperature == 0.0) return argmax(logits).item<std::int64_t>();
    const std::int64_t V = logits.size(0);
    Tensor l = div(logits.to(DType::f64), opts.temperature);
    const double neg_inf = -std::numeric_limits<double>::infinity();
    if (opts.top_k) {
        PESO_CHECK(*opts.top_k > 0, ValueError, "sampling: top_k must be positive, got {}", *opts.top_k);
        if (*opts.top_k < V) {
            const Tensor kth = std::get<0>(topk(l, *opts.top_k)).narrow(0, *opts.top_k - 1, 1);
            l = masked_fill(l, lt(l, kth), neg_inf);
        }
    }
    if (opts.top_p) {
        PESO_CHECK(*opts.top_p > 0.0 && *opts.top_p <= 1.0, ValueError, "sampling: top_p must be in (0, 1], got {}",
                   *opts.top_p);
        auto [sorted, order] = sort(l, -1, /*descending=*/true);
        const Tensor probs = softmax(sorted, -1);
        // Drop a token when the tokens before it already reach top_p (the
        // most likely token always stays).
        const Tensor before = sub(cumsum(probs, 0), probs);
        const Tensor drop_sorted = ge(before, *opts.top_p);
        const Tensor drop = scatter(zeros({V}, DType::b8), 0, order, drop_sorted);
        l = masked_fill(l, drop, neg_inf);
    }
    return multinomial(softmax(l, -1), 1, false, &gen).item<std::int64_t>();
}

std::vector<std::int64_t> generate(Gpt& model, const std::vector<std::int64_t>& prompt, const SamplingOptions& opts,
                                   const std::function<void(std::int64_t)>& on_token) {
    PESO_CHECK(!prompt.empty(), ValueError, "generate: the prompt must contain at least one token");
    PESO_CHECK(opts.max_new_tokens >= 0, ValueError, "generate: max_new_tokens must be >= 0");
    const std::int64_t V = model.config().vocab_size, window = model.config().block_size;
    for (std::int64_t t : prompt)
        PESO_CHECK(t >= 0 && t < V, ValueError, "generate: token {} outside the vocabulary of {}", t, V);
    const bool was_training = model.is_training();
    model.eval();
    NoGradGuard no_grad;
    Generator gen(opts.seed);
    const Device device = model.wte->weight.device();
    std::vector<std::int64_t> tokens = prompt, out;
    std::optional<KvCache> cache;
    if (opts.use_cache) cache.emplace(model.make_cache(1));
    auto window_of = [&](std::int64_t n) {
        const auto first = tokens.end() - static_cast<std::ptrdiff_t>(n);
        return from_vector<std::int64_t>(std::vector<std::int64_t>(first, tokens.end()), Dims{1, n}, device);
    };
    try {
        for (std::int64_t step = 0; step < opts.max_new_tokens; ++step) {
            const auto len = static_cast<std::int64_t>(tokens.size());
            Tensor logits;
            if (cache && cache->length() > 0 && cache->length() < window) {
                logits = model.forward(window_of(1), {}, true, &*cache).logits;  // only the new token
            } else {
                // First step, no cache, or a full window: run the last block_size tokens.
                if (cache) cache->clear();
                logits = model.forward(window_of(std::min(len, window)), {}, true, cache ? &*cache : nullptr).logits;
            }
            const std::int64_t next = sample_token(logits.reshape({V}), opts, gen);
            tokens.push_back(next);
            out.push_back(next);
            if (on_token) on_token(next);
            if (opts.stop_token && next == *opts.stop_token) break;
        }
    } catch (...) {
        model.train(was_training);
        throw;
    }
    model.train(was_training);
    return out;
}

}  // namespace peso::models
