#include "examples/ch7_gpt/gpt_lab.h"

#include <omp.h>

#include <cmath>
#include <numbers>

#include "nn/clip_grad.h"
#include "peso.h"

namespace peso::examples::gpt_lab {

std::unique_ptr<nn::optim::AdamW> make_optimizer(const models::Gpt& model, const TrainSettings& s) {
    nn::optim::AdamWOptions o;
    o.lr = s.lr;
    o.beta1 = s.beta1;
    o.beta2 = s.beta2;
    o.weight_decay = s.weight_decay;
    return std::make_unique<nn::optim::AdamW>(model.optimizer_groups(s.weight_decay), o);
}

double cosine_lr(double lr, std::int64_t step, std::int64_t steps) {
    const double progress = steps > 1 ? static_cast<double>(step - 1) / static_cast<double>(steps - 1) : 0.0;
    return lr * (0.1 + 0.9 * 0.5 * (1.0 + std::cos(std::numbers::pi * progress)));
}

void set_threads(int threads) {
    PESO_CHECK(threads >= 0, ValueError, "--threads must be >= 0, got {}", threads);
    if (threads > 0) omp_set_num_threads(threads);
}

double train_step(models::Gpt& model, nn::optim::Optimizer& opt, const Tensor& x, const Tensor& y,
                  double grad_clip) {
    const Tensor loss = model.forward(x, y).loss;
    opt.zero_grad();
    loss.backward();
    if (grad_clip > 0) nn::clip_grad_norm_(model.parameters(), grad_clip);
    opt.step();
    return loss.item<double>();
}

Tensor greedy_complete(models::Gpt& model, const Tensor& prompts, std::int64_t n) {
    const bool was_training = model.is_training();
    model.eval();
    NoGradGuard no_grad;
    Tensor seq = prompts;
    for (std::int64_t i = 0; i < n; ++i) {
        // The whole (short) sequence is re-run each time: for a few tokens a
        // batched forward is cheaper than a per-row KV cache.
        const Tensor logits = model.forward(seq, {}, /*last_only=*/true).logits;  // (B, 1, V)
        seq = cat({seq, argmax(logits, -1)}, 1);
    }
    model.train(was_training);
    return seq.narrow(1, prompts.size(1), n);
}

}  // namespace peso::examples::gpt_lab
