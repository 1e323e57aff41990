#pragma once
// The node at the end of every path to a leaf: adds the arriving gradient to
// the leaf's .grad(), then runs its post-accumulate hooks.
#include "autograd/node.h"

namespace peso::autograd {

class AccumulateGrad final : public Node {
public:
    explicit AccumulateGrad(Tensor variable);
    std::vector<Tensor> apply(std::vector<Tensor>&& grads, bool create_graph) override;
    const Tensor& variable() const { return variable_; }

private:
    Tensor variable_;
};

}  // namespace peso::autograd
