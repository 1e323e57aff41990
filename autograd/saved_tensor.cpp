#include "autograd/saved_tensor.h"

#include "autograd/autograd_meta.h"

namespace peso::autograd {

namespace {

std::vector<PackHook>& hook_stack() {
    thread_local std::vector<PackHook> stack;
    return stack;
}

}  // namespace

SavedTensorHooksGuard::SavedTensorHooksGuard(PackHook pack) { hook_stack().push_back(std::move(pack)); }
SavedTensorHooksGuard::~SavedTensorHooksGuard() { hook_stack().pop_back(); }

SavedTensor::SavedTensor(const Tensor& t, bool is_output) : is_output_(is_output) {
    if (!t.defined()) return;
    was_defined_ = true;
    if (!hook_stack().empty()) {
        // Moved out first: the hook's own ops must not pack into themselves.
        // A hook that returns nothing lets the tensor be saved as usual.
        const PackHook pack = std::move(hook_stack().back());
        hook_stack().pop_back();
        struct Restore {
            const PackHook& hook;
            ~Restore() { hook_stack().push_back(hook); }
        } restore{pack};
        packed_ = pack(t);
    }
    if (packed_) return;
    data_ = std::make_shared<TensorImpl>(t.impl());
    data_->autograd.reset();
    version_ = t.impl().storage->version();
    if (AutogradMeta* m = meta_or_null(t); m && m->requires_grad) {
        requires_grad_ = true;
        output_nr_ = m->output_nr;
        if (is_output) {
            // re-attached from the owner at unpack time
        } else if (m->grad_fn) {
            grad_fn_ = m->grad_fn;
        } else {
            leaf_meta_ = t.impl().autograd;
        }
    }
}

Tensor SavedTensor::unpack(const Node& owner, const std::shared_ptr<Node>& owner_ptr) const {
    return unpack_data(owner.name(), owner_ptr);
}

Tensor SavedTensor::unpack(std::string_view owner) const { return unpack_data(owner, nullptr); }

Tensor SavedTensor::unpack_data(std::string_view owner, const std::shared_ptr<Node>& owner_ptr) const {
    if (!was_defined_) return {};
    PESO_CHECK(!released_, Error,
               "trying to backward through the graph a second time (the saved tensors of '{}' were freed after the "
               "first backward); pass retain_graph=true to the first backward if you need to",
               owner);
    if (packed_) return packed_->unpack();
    const std::uint64_t now = data_->storage->version();
    PESO_CHECK(now == version_, Error,
               "one of the tensors needed for gradient computation has been modified by an in-place operation: the "
               "{} tensor of shape {} saved by '{}' is at version {}, expected version {}",
               dtype_name(data_->dtype), data_->sizes, owner, now, version_);
    auto impl = std::make_shared<TensorImpl>(*data_);
    if (requires_grad_) {
        if (leaf_meta_) {
            impl->autograd = leaf_meta_;
        } else {
            auto m = std::make_shared<AutogradMeta>();
            m->requires_grad = true;
            m->grad_fn = is_output_ ? owner_ptr : grad_fn_;
            m->output_nr = output_nr_;
            impl->autograd = std::move(m);
        }
    }
    return Tensor(std::move(impl));
}

void SavedTensor::bind_output(const std::vector<Tensor>& outputs) {
    if (!is_output_ || !was_defined_ || packed_) return;
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        const TensorImpl& o = outputs[i].impl();
        if (o.storage == data_->storage && o.offset == data_->offset && o.sizes == data_->sizes &&
            o.strides == data_->strides && is_floating(o.dtype)) {
            requires_grad_ = true;
            output_nr_ = static_cast<int>(i);
            return;
        }
    }
}

void SavedTensor::reset() {
    packed_.reset();
    data_.reset();
    grad_fn_.reset();
    leaf_meta_.reset();
    released_ = was_defined_;
}

}  // namespace peso::autograd
