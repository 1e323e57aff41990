#pragma once
// How a differentiable op records itself. An op computes its result with the
// tensor layer, then, when grad mode is on and an input requires grad, calls
// record() with its backward formula: a function from the gradients of the
// outputs to the gradients of the inputs, written with differentiable ops so
// that it can itself be differentiated (create_graph).
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "autograd/autograd_meta.h"
#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "autograd/saved_tensor.h"

namespace peso::autograd {

using TensorList = std::vector<Tensor>;

class BackwardContext {
public:
    BackwardContext(const Node& node, std::shared_ptr<Node> self, const std::vector<SavedTensor>& saved,
                    const TensorList& partial_grads, bool create_graph)
        : node_(node), self_(std::move(self)), saved_(saved), partial_grads_(partial_grads),
          create_graph_(create_graph) {}
    // Whether this backward is being recorded (create_graph): a fused kernel
    // that is not itself differentiable may run only when it is not.
    bool create_graph() const { return create_graph_; }
    // The i-th saved tensor (throws if modified in place since, or freed).
    Tensor saved(std::size_t i) const { return saved_.at(i).unpack(node_, self_); }
    bool needs_input_grad(std::size_t i) const { return node_.needs_input_grad(i); }
    // The gradient that input i has gathered so far from its other uses, when
    // the engine lends it (it owns the only reference and no graph of the
    // backward is recorded); undefined otherwise. A backward may add its own
    // contribution into it in place and return it, instead of allocating an
    // input-sized buffer that the engine would then add: a GPT's tied token
    // embedding gets its head's and its lookup's gradients in one buffer.
    Tensor partial_grad(std::size_t i) const { return i < partial_grads_.size() ? partial_grads_[i] : Tensor(); }

private:
    const Node& node_;
    std::shared_ptr<Node> self_;
    const std::vector<SavedTensor>& saved_;
    const TensorList& partial_grads_;
    bool create_graph_;
};

// grads: one per output (defined). Returns one gradient per input (undefined
// where !ctx.needs_input_grad(i)).
using BackwardFn = std::function<TensorList(const BackwardContext& ctx, const TensorList& grads)>;

class FunctionNode final : public Node, public std::enable_shared_from_this<FunctionNode> {
public:
    FunctionNode(std::string name, BackwardFn fn, std::vector<SavedTensor> saved);
    TensorList apply(TensorList&& grad_outputs, bool create_graph) override;
    void release_saved() override;
    // Whether the backward may take partial gradients (see partial_grad).
    bool accepts_partial_grads() const { return accepts_partials_; }
    void set_accepts_partial_grads(bool on) { accepts_partials_ = on; }
    // The engine lends these for the next apply() only (one per input).
    void lend_partial_grads(TensorList partials) { partials_ = std::move(partials); }
    TensorList take_partial_grads() { return std::move(partials_); }

private:
    BackwardFn fn_;
    std::vector<SavedTensor> saved_;
    TensorList partials_;
    bool accepts_partials_ = false;
    bool released_ = false;
};

// True when grad mode is on and some input requires grad.
bool should_record(std::initializer_list<const Tensor*> inputs);
bool should_record(const std::vector<Tensor>& inputs);

// Records a node for `name` whose inputs are `inputs` and whose outputs are
// `outputs` (floating outputs get requires_grad and this node as grad_fn).
// Returns the node, for the few ops that set options on it.
std::shared_ptr<FunctionNode> record(std::string name, const std::vector<Tensor>& inputs,
                                     const std::vector<Tensor>& outputs, std::vector<SavedTensor> saved,
                                     BackwardFn backward);

// Marks `view` (an output of a view op applied to `input`) as a view of
// input's base, so that in-place ops through it reach the base's history.
void mark_view(const Tensor& view, const Tensor& input);

// Throws if an in-place op named `op` may not modify `self` while recording
// (a leaf that requires grad, or a view of one, or an overlapping view).
void check_inplace(const Tensor& self, const char* op);

// After `self` was modified in place by `op` with the other inputs `others`:
// its history becomes a node whose backward maps the gradient of the new
// value to gradients of (old self, others...). When self is a view, the base's
// history is rewritten instead (PyTorch's CopySlices).
void rebase_history(const Tensor& self, std::string op, const std::vector<Tensor>& others,
                    std::vector<SavedTensor> saved, BackwardFn backward);

}  // namespace peso::autograd
