#pragma once
// Tensor: a cheap-to-copy handle (one shared_ptr) to a TensorImpl. Copies
// share data; use clone() for a deep copy. Methods are sugar for the free
// functions: the differentiable ones of autograd/functions.h (the methods are
// defined in autograd/tensor_methods.cpp, so they record graphs) and the
// others of tensor/functions.h. The tensor layer itself calls peso::native.
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "backends/tensor_arg.h"
#include "core/device.h"
#include "core/dims.h"
#include "core/dtype.h"
#include "core/scalar.h"
#include "tensor/tensor_impl.h"
#include "tensor/tensor_options.h"

namespace peso {

namespace autograd {
class Node;
}

class Tensor {
public:
    Tensor() = default;
    explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

    // ---- metadata ----------------------------------------------------------
    bool defined() const { return impl_ != nullptr; }
    int dim() const { return impl().sizes.size(); }
    const Dims& sizes() const { return impl().sizes; }
    const Dims& shape() const { return impl().sizes; }
    std::int64_t size(std::int64_t d) const;
    const Dims& strides() const { return impl().strides; }
    std::int64_t stride(std::int64_t d) const;
    std::int64_t numel() const { return impl().sizes.product(); }
    DType dtype() const { return impl().dtype; }
    Device device() const { return impl().storage->device(); }
    TensorOptions options() const { return TensorOptions(dtype()).device(device()); }
    std::int64_t storage_offset() const { return impl().offset; }
    std::size_t element_size() const { return itemsize(dtype()); }
    std::size_t nbytes() const { return static_cast<std::size_t>(numel()) * element_size(); }
    bool is_contiguous() const;
    bool is_floating_point() const { return is_floating(dtype()); }
    // True when both handles are the same tensor (not merely equal values).
    bool is_same(const Tensor& o) const { return impl_ == o.impl_; }
    bool shares_storage(const Tensor& o) const { return impl().storage == o.impl().storage; }

    TensorImpl& impl() const;
    const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
    TensorArg arg() const;

    // ---- data access (CPU tensors) -----------------------------------------
    void* data_ptr() const { return impl().data(); }
    template <typename T> T* data_ptr() const;
    template <typename T> T item() const;
    template <typename T> std::vector<T> to_vector() const;

    // ---- views (no copy) ---------------------------------------------------
    Tensor view(const Dims& shape) const;
    Tensor reshape(const Dims& shape) const;  // copies only when it must
    Tensor permute(const Dims& order) const;
    Tensor transpose(std::int64_t d0, std::int64_t d1) const;
    Tensor t() const;
    Tensor narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const;
    Tensor slice(std::int64_t dim, std::optional<std::int64_t> start = std::nullopt,
                 std::optional<std::int64_t> end = std::nullopt, std::int64_t step = 1) const;
    Tensor select(std::int64_t dim, std::int64_t index) const;
    Tensor expand(const Dims& shape) const;
    Tensor expand_as(const Tensor& other) const { return expand(other.sizes()); }
    Tensor broadcast_to(const Dims& shape) const { return expand(shape); }
    Tensor squeeze() const;
    Tensor squeeze(std::int64_t dim) const;
    Tensor unsqueeze(std::int64_t dim) const;
    Tensor flatten(std::int64_t start_dim = 0, std::int64_t end_dim = -1) const;
    Tensor unflatten(std::int64_t dim, const Dims& sizes) const;
    Tensor as_strided(const Dims& sizes, const Dims& strides, std::optional<std::int64_t> offset = {}) const;
    Tensor operator[](std::int64_t index) const { return select(0, index); }

    // ---- copies and conversions --------------------------------------------
    Tensor contiguous() const;
    Tensor clone() const;
    Tensor to(DType t) const;
    Tensor to(Device d) const;
    Tensor detach() const;
    Tensor& detach_();

    // ---- in-place ----------------------------------------------------------
    Tensor& zero_();
    Tensor& fill_(Scalar v);
    Tensor& copy_(const Tensor& src);
    Tensor& add_(const Tensor& o, Scalar alpha = 1);
    Tensor& add_(Scalar o);
    Tensor& sub_(const Tensor& o);
    Tensor& sub_(Scalar o);
    Tensor& mul_(const Tensor& o);
    Tensor& mul_(Scalar o);
    Tensor& div_(const Tensor& o);
    Tensor& div_(Scalar o);
    Tensor& clamp_(std::optional<Scalar> lo, std::optional<Scalar> hi);
    Tensor& masked_fill_(const Tensor& mask, Scalar v);
    Tensor& uniform_(double lo = 0.0, double hi = 1.0);
    Tensor& normal_(double mean = 0.0, double std = 1.0);
    Tensor& index_add_(std::int64_t dim, const Tensor& index, const Tensor& src, Scalar alpha = 1);
    Tensor& scatter_(std::int64_t dim, const Tensor& index, const Tensor& src);
    Tensor& scatter_(std::int64_t dim, const Tensor& index, Scalar value);
    Tensor& scatter_add_(std::int64_t dim, const Tensor& index, const Tensor& src);

    // ---- common ops as methods ---------------------------------------------
    Tensor add(const Tensor& o) const;
    Tensor sub(const Tensor& o) const;
    Tensor mul(const Tensor& o) const;
    Tensor div(const Tensor& o) const;
    Tensor pow(Scalar p) const;
    Tensor neg() const;
    Tensor abs() const;
    Tensor exp() const;
    Tensor log() const;
    Tensor sqrt() const;
    Tensor tanh() const;
    Tensor sigmoid() const;
    Tensor relu() const;
    Tensor matmul(const Tensor& o) const;
    Tensor mm(const Tensor& o) const;
    Tensor sum() const;
    Tensor sum(const Dims& dims, bool keepdim = false) const;
    Tensor mean() const;
    Tensor mean(const Dims& dims, bool keepdim = false) const;
    Tensor max() const;
    Tensor min() const;
    Tensor argmax(std::optional<std::int64_t> dim = {}, bool keepdim = false) const;
    Tensor softmax(std::int64_t dim) const;
    Tensor log_softmax(std::int64_t dim) const;
    Tensor masked_fill(const Tensor& mask, Scalar v) const;

    std::string str() const;

    // ---- autograd (defined in autograd/tensor_autograd.cpp) ----------------
    bool requires_grad() const;
    Tensor& requires_grad_(bool enabled = true);
    // The accumulated gradient of a leaf (or of a tensor that retain_grad()s).
    Tensor grad() const;
    void set_grad(const Tensor& g) const;
    bool is_leaf() const;
    std::shared_ptr<autograd::Node> grad_fn() const;
    // Gradient of this tensor (ones for a scalar) propagated to the leaves.
    void backward(const Tensor& gradient = {}, bool retain_graph = false, bool create_graph = false) const;
    void retain_grad() const;
    // hook(grad) runs when this tensor's gradient is computed; a defined
    // return value replaces the gradient.
    void register_hook(std::function<Tensor(const Tensor&)> hook) const;
    // Runs after a leaf's .grad() was updated.
    void register_post_accumulate_grad_hook(std::function<void(Tensor&)> hook) const;
    // Bumped by every in-place change of the data (shared by views).
    std::uint64_t version() const { return impl().storage->version(); }

private:
    std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

}  // namespace peso
