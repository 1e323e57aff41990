#pragma once
// Gradient checkpointing: run a function without keeping its intermediate
// activations, and run it again during backward to get them back. Trades
// compute for memory (about one extra forward per checkpointed segment).
#include <functional>
#include <vector>

#include "tensor/tensor.h"

namespace peso::autograd {

/// The checkpointed function: tensors in, tensors out.
using CheckpointFn = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;

/// Returns fn(inputs); only the inputs are saved for backward. fn must be
/// deterministic given its inputs (random ops should use a Generator that the
/// caller re-seeds, or be avoided); the default generator's state is restored
/// before the recomputation so dropout masks match.
std::vector<Tensor> checkpoint(const CheckpointFn& fn, const std::vector<Tensor>& inputs);

}  // namespace peso::autograd
