#pragma once
// A tensor saved by a forward op for its backward. It remembers the storage
// version at save time so that a later in-place change is reported instead of
// silently producing a wrong gradient, and it can be freed after backward.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "autograd/node.h"
#include "tensor/tensor.h"

namespace peso::autograd {

// What a saved-tensor hook keeps in place of a saved tensor (PyTorch's
// saved_tensors_hooks): unpack() gives the tensor back at backward time.
class PackedTensor {
public:
    virtual ~PackedTensor() = default;
    virtual Tensor unpack() const = 0;
};

using PackHook = std::function<std::shared_ptr<PackedTensor>(const Tensor&)>;

// While alive, every tensor an op saves for backward (on this thread) goes to
// `pack`, and the SavedTensor keeps only what pack returns (or saves the
// tensor as usual when pack returns null: an observer). The innermost scope
// wins. Checkpointing uses this to keep nothing and recompute.
class SavedTensorHooksGuard {
public:
    explicit SavedTensorHooksGuard(PackHook pack);
    ~SavedTensorHooksGuard();
    SavedTensorHooksGuard(const SavedTensorHooksGuard&) = delete;
    SavedTensorHooksGuard& operator=(const SavedTensorHooksGuard&) = delete;
};

class SavedTensor {
public:
    SavedTensor() = default;
    // is_output: t is an output of the node that saves it; the node is then
    // re-attached on unpack instead of being held (which would be a cycle).
    explicit SavedTensor(const Tensor& t, bool is_output = false);

    // The saved tensor, with its gradient history (so that double backward
    // works). Throws if it was modified in place or already freed.
    Tensor unpack(const Node& owner, const std::shared_ptr<Node>& owner_ptr) const;
    // For a tensor saved outside any node (checkpoint's inputs); `owner`
    // names the saver in errors.
    Tensor unpack(std::string_view owner) const;
    void reset();
    // For a saved output: records which output of its node it is, once the
    // node's outputs have their history.
    void bind_output(const std::vector<Tensor>& outputs);
    bool defined() const { return was_defined_; }

private:
    Tensor unpack_data(std::string_view owner, const std::shared_ptr<Node>& owner_ptr) const;

    std::shared_ptr<PackedTensor> packed_;  // set when a hook took the tensor
    std::shared_ptr<TensorImpl> data_;
    std::shared_ptr<Node> grad_fn_;  // inputs that are not leaves
    std::shared_ptr<AutogradMeta> leaf_meta_;  // leaves: the very same meta (gradients flow to them)
    std::uint64_t version_ = 0;
    int output_nr_ = 0;
    bool requires_grad_ = false;
    bool is_output_ = false;
    bool was_defined_ = false;
    bool released_ = false;
};

}  // namespace peso::autograd
