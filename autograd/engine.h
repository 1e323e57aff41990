#pragma once
// The backward engine: runs the graph behind some outputs in dependency order
// with an explicit work list (no recursion, so graphs of any depth work).
#include <functional>
#include <vector>

#include "tensor/tensor.h"

namespace peso::autograd {

/// Accumulates d(sum(roots * grad_roots))/d(leaf) into every reachable leaf's
/// .grad(). grad_roots may be empty for scalar roots (ones).
void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots = {},
              bool retain_graph = false, bool create_graph = false);

/// Returns d(sum(outputs * grad_outputs))/d(inputs) without touching .grad().
/// An input the outputs do not depend on is an error unless allow_unused
/// (then its gradient is undefined). retain_graph defaults to create_graph.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, std::optional<bool> retain_graph = {},
                         bool create_graph = false, bool allow_unused = false);

/// Runs `callback` once the backward() in progress on this thread has finished
/// (every gradient accumulated and every post-accumulate hook run), as
/// PyTorch's queue_callback: DistributedDataParallel waits there for the
/// gradient averages it launched from hooks. Throws outside a backward().
void queue_callback(std::function<void()> callback);

}  // namespace peso::autograd
