#pragma once
// A node of the backward graph: the backward function of one forward op
// application. Edges point from a node to the nodes of its inputs.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace peso::autograd {

class Node;

// The gradient of input `input_nr` of `fn` (fn == nullptr: no gradient needed).
struct Edge {
    std::shared_ptr<Node> fn;
    int input_nr = 0;
    bool valid() const { return fn != nullptr; }
};

// Observes or replaces a gradient: returns the gradient to use instead, or an
// undefined tensor to keep it.
using GradHook = std::function<Tensor(const Tensor&)>;

class Node {
public:
    explicit Node(std::string name);
    virtual ~Node();
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    // The forward op this node differentiates (used in error messages).
    const std::string& name() const { return name_; }
    std::uint64_t sequence_nr() const { return sequence_nr_; }

    // Gradients for next_edges() (one each, undefined where not needed),
    // given the gradients of this node's outputs (one per output, defined).
    // create_graph: the backward is itself being recorded (grad mode is on
    // while it runs), so it must use differentiable ops throughout.
    virtual std::vector<Tensor> apply(std::vector<Tensor>&& grad_outputs, bool create_graph) = 0;
    // Frees saved tensors; a later apply() must then throw.
    virtual void release_saved() {}

    std::vector<Edge>& next_edges() { return next_edges_; }
    const std::vector<Edge>& next_edges() const { return next_edges_; }
    bool needs_input_grad(std::size_t i) const { return i < next_edges_.size() && next_edges_[i].valid(); }

    // What the forward outputs looked like: zeros of this shape stand in for a
    // gradient that never arrives for an output.
    struct OutputInfo {
        Dims shape;
        DType dtype;
        Device device;
    };
    std::vector<OutputInfo>& outputs() { return outputs_; }
    const std::vector<OutputInfo>& outputs() const { return outputs_; }

    // Tensor hooks on the gradient of output `output_nr`, run before apply().
    void add_pre_hook(int output_nr, GradHook hook) { pre_hooks_.emplace_back(output_nr, std::move(hook)); }
    const std::vector<std::pair<int, GradHook>>& pre_hooks() const { return pre_hooks_; }

private:
    std::string name_;
    std::uint64_t sequence_nr_;
    std::vector<Edge> next_edges_;
    std::vector<OutputInfo> outputs_;
    std::vector<std::pair<int, GradHook>> pre_hooks_;
};

}  // namespace peso::autograd
