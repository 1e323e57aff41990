#pragma once
// What the three GPT demos share: minGPT's AdamW set-up (decay on matrices
// only, gradient clipping), one training step, and batched greedy completion
// for scoring exact-match accuracy on held-out problems.
#include <cstdint>
#include <memory>

#include "models/gpt/gpt.h"
#include "nn/optim/adam.h"

namespace peso::examples::gpt_lab {

struct TrainSettings {
    double lr = 5e-4;
    double beta1 = 0.9;
    double beta2 = 0.95;
    double weight_decay = 0.1;  // on weight matrices and embeddings only (Gpt::optimizer_groups)
    double grad_clip = 1.0;
};

std::unique_ptr<nn::optim::AdamW> make_optimizer(const models::Gpt& model, const TrainSettings& s);

// Cosine decay from lr to lr/10 over the run: a constant rate keeps kicking
// a model that has already solved its task (its held-out accuracy then
// wobbles from step to step).
double cosine_lr(double lr, std::int64_t step, std::int64_t steps);

// OpenMP threads for the tensor ops (0: leave OpenMP's default). These
// models are so small that one thread beats two: the per-op work is tiny and
// every barrier costs more than it saves, worse still on a busy machine.
void set_threads(int threads);

// forward + backward + clip + update on one batch; returns the batch loss.
double train_step(models::Gpt& model, nn::optim::Optimizer& opt, const Tensor& x, const Tensor& y,
                  double grad_clip);

// Appends n greedily chosen tokens to every prompt row: prompts (B, P) int64
// -> the new tokens (B, n). Runs without gradients in eval mode (the model's
// mode is restored); P + n - 1 must fit in the model's block_size.
Tensor greedy_complete(models::Gpt& model, const Tensor& prompts, std::int64_t n);

}  // namespace peso::examples::gpt_lab
