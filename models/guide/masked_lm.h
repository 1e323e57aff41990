#pragma once
// BERT's masked-LM corruption: each maskable token is chosen for prediction
// with probability `prob`; a chosen token is replaced by [MASK] 80% of the
// time, by a random regular token 10%, and left as it is 10% (so the model
// cannot assume that an unmasked token is never a target). Padding and the
// special tokens are never chosen, so they add nothing to the loss.
#include <cstdint>

#include "tensor/generator.h"
#include "tensor/tensor.h"

namespace peso::models {

struct MaskedLmOptions {
    double prob = 0.15;
    std::int64_t mask_id = 0;           // the [MASK] token
    std::int64_t first_regular_id = 0;  // random replacements come from [first_regular_id, vocab_size)
    std::int64_t vocab_size = 0;
    std::int64_t ignore_index = -100;   // label of the positions not to predict
};

struct MaskedLmBatch {
    Tensor inputs;  // (B, T) int64: ids after corruption
    Tensor labels;  // (B, T) int64: the original id where chosen, ignore_index elsewhere
};

// ids (B, T) int64; maskable (B, T) bool (true: a regular, non-padding token).
MaskedLmBatch mask_tokens(const Tensor& ids, const Tensor& maskable, const MaskedLmOptions& opts,
                          Generator* gen = nullptr);

}  // namespace peso::models
