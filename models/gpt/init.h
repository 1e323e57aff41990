// GPT-2's weight initialization: a model's policy, so it lives with the GPT
// (nn/init.h holds the generic initializers it is made of).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nn/module.h"

namespace peso::models {

// GPT-2's initialization (as nanoGPT's _init_weights): the weights of every
// Linear and Embedding (and LearnedPositionalEmbedding, and a
// MultiheadAttention's packed in_proj_weight, which is a Linear in all but
// name) ~ N(0, 0.02^2), their biases zero, LayerNorms weight 1 / bias 0; then
// every parameter whose dotted name satisfies `is_residual_projection`
// (e.g. ends with "c_proj.weight", "out_proj.weight" or "linear2.weight")
// ~ N(0, (0.02 / sqrt(2 * n_layer))^2), so that the residual stream's variance
// does not grow with depth.
void gpt2_init_(nn::Module& model, std::int64_t n_layer,
                const std::function<bool(const std::string&)>& is_residual_projection, double std = 0.02,
                Generator* gen = nullptr);

// A predicate for gpt2_init_: true for names ending with any of `suffixes`.
std::function<bool(const std::string&)> name_ends_with(std::vector<std::string> suffixes);

}  // namespace peso::models
