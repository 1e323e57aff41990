#pragma once
// The gradient state of a tensor, hung off TensorImpl::autograd.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "autograd/node.h"
#include "tensor/tensor.h"

namespace peso {

// A view's place in its base: enough to rebuild the view from the base, so that
// in-place changes through the view can be routed into the base's history.
struct ViewInfo {
    Tensor base;                  // the tensor that owns the memory (never itself a view)
    Dims sizes;
    Dims strides;
    std::int64_t offset = 0;      // storage offset relative to the base's
    std::uint64_t attr_version = 0;  // storage version when grad_fn was last set
};

struct AutogradMeta {
    bool requires_grad = false;
    bool retains_grad = false;
    Tensor grad;
    std::shared_ptr<autograd::Node> grad_fn;
    int output_nr = 0;
    std::weak_ptr<autograd::Node> grad_accumulator;  // leaves only
    std::vector<autograd::GradHook> leaf_hooks;       // leaves only (non-leaves hook their grad_fn)
    std::vector<std::function<void(Tensor&)>> post_accumulate_hooks;
    std::optional<ViewInfo> view;
};

namespace autograd {

// The tensor's meta, created on first use.
AutogradMeta& meta(const Tensor& t);
// The tensor's meta or nullptr.
AutogradMeta* meta_or_null(const Tensor& t);
bool requires_grad(const Tensor& t);
bool is_leaf(const Tensor& t);
// Where the gradient of t flows in the graph (invalid when t needs none).
Edge gradient_edge(const Tensor& t);
// The AccumulateGrad node of a leaf that requires grad.
std::shared_ptr<Node> grad_accumulator(const Tensor& t);

}  // namespace autograd
}  // namespace peso
