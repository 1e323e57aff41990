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

/// A tensor: a cheap-to-copy handle (one shared_ptr) to strided data of one
/// dtype on one device. Copies share the data; clone() makes a deep copy.
/// Ops that take a tensor throw a peso::Error subclass (ShapeError, DTypeError,
/// DeviceError, IndexError, ValueError) naming the op and the shapes involved;
/// any op on an undefined tensor throws ValueError.
/// @code
/// Tensor a = arange(6).reshape({2, 3}).to(DType::f32);
/// Tensor w = randn({3, 2}).requires_grad_();
/// mean(pow(matmul(a, w), 2)).backward();   // w.grad() now holds d/dw
/// @endcode
class Tensor {
public:
    /// An undefined tensor (defined() is false), e.g. "no bias".
    Tensor() = default;
    /// Wraps an implementation object (for backends and the library's own ops).
    explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

    // ---- metadata ----------------------------------------------------------
    /// Whether this handle holds a tensor.
    bool defined() const { return impl_ != nullptr; }
    /// The number of dims (0 for a scalar tensor).
    int dim() const { return impl().sizes.size(); }
    /// The size of each dim.
    const Dims& sizes() const { return impl().sizes; }
    /// The same as sizes() (PyTorch's name).
    const Dims& shape() const { return impl().sizes; }
    /// The size of dim `d` (negative counts from the end); IndexError when out of range.
    std::int64_t size(std::int64_t d) const;
    /// The stride of each dim, in elements.
    const Dims& strides() const { return impl().strides; }
    /// The stride of dim `d` in elements (negative counts from the end); IndexError when out of range.
    std::int64_t stride(std::int64_t d) const;
    /// The number of elements (the product of the sizes).
    std::int64_t numel() const { return impl().sizes.product(); }
    /// The element type.
    DType dtype() const { return impl().dtype; }
    /// The device that holds the data.
    Device device() const { return impl().storage->device(); }
    /// This tensor's dtype and device, to create others like it.
    TensorOptions options() const { return TensorOptions(dtype()).device(device()); }
    /// Where the first element lies in the storage, in elements.
    std::int64_t storage_offset() const { return impl().offset; }
    /// The size of one element in bytes.
    std::size_t element_size() const { return itemsize(dtype()); }
    /// numel() * element_size().
    std::size_t nbytes() const { return static_cast<std::size_t>(numel()) * element_size(); }
    /// Whether the elements lie in row-major order without gaps.
    bool is_contiguous() const;
    /// Whether the dtype is a floating one (float16, bfloat16, float32, float64).
    bool is_floating_point() const { return is_floating(dtype()); }
    /// True when both handles are the same tensor (not merely equal values).
    bool is_same(const Tensor& o) const { return impl_ == o.impl_; }
    /// Whether both tensors view the same storage (e.g. a tensor and its views).
    bool shares_storage(const Tensor& o) const { return impl().storage == o.impl().storage; }

    /// The implementation object (sizes, strides, storage); ValueError when undefined.
    TensorImpl& impl() const;
    /// The shared implementation pointer (null when undefined).
    const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
    /// The tensor as a backend argument (data pointer, sizes, strides, dtype).
    TensorArg arg() const;

    // ---- data access (CPU tensors) -----------------------------------------
    /// The address of the first element (on the tensor's device).
    void* data_ptr() const { return impl().data(); }
    /// The first element as a T*: DTypeError unless T is the dtype's C++ type,
    /// DeviceError unless the tensor is on the CPU.
    template <typename T> T* data_ptr() const;
    /// The single element as a T, converted (from any device); ValueError unless numel() == 1.
    template <typename T> T item() const;
    /// All elements in row-major order as a std::vector<T>, converted (from any device).
    template <typename T> std::vector<T> to_vector() const;

    // ---- views (no copy) ---------------------------------------------------
    /// A view with another shape of the same numel (one size may be -1);
    /// ShapeError when the strides do not allow it (use reshape()).
    Tensor view(const Dims& shape) const;
    Tensor reshape(const Dims& shape) const;  ///< Like view(), but copies when it must.
    /// A view with the dims in `order` (a permutation of 0..dim()-1).
    Tensor permute(const Dims& order) const;
    /// A view with dims `d0` and `d1` swapped.
    Tensor transpose(std::int64_t d0, std::int64_t d1) const;
    /// The transpose of a matrix (a view); a tensor of fewer than 2 dims is returned as is,
    /// one of more than 2 is a ShapeError.
    Tensor t() const;
    /// A view of `length` entries of dim `dim` from `start`.
    Tensor narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const;
    /// A view of dim `dim` from `start` up to `end` (exclusive) every `step` (> 0),
    /// Python-style: negative bounds count from the end and are clamped.
    Tensor slice(std::int64_t dim, std::optional<std::int64_t> start = std::nullopt,
                 std::optional<std::int64_t> end = std::nullopt, std::int64_t step = 1) const;
    /// The view at `index` of dim `dim`, which it removes.
    Tensor select(std::int64_t dim, std::int64_t index) const;
    /// A view broadcast to `shape` (size-1 dims repeat with stride 0; -1 keeps a size).
    Tensor expand(const Dims& shape) const;
    /// expand() to other's sizes.
    Tensor expand_as(const Tensor& other) const { return expand(other.sizes()); }
    /// The same as expand() (PyTorch's name).
    Tensor broadcast_to(const Dims& shape) const { return expand(shape); }
    /// A view without the size-1 dims.
    Tensor squeeze() const;
    /// A view without dim `dim` when its size is 1 (else the same shape).
    Tensor squeeze(std::int64_t dim) const;
    /// A view with a new size-1 dim at `dim`.
    Tensor unsqueeze(std::int64_t dim) const;
    /// Dims start_dim..end_dim merged into one (a view when the strides allow it).
    Tensor flatten(std::int64_t start_dim = 0, std::int64_t end_dim = -1) const;
    /// Dim `dim` split into `sizes` (whose product is its size).
    Tensor unflatten(std::int64_t dim, const Dims& sizes) const;
    /// A view with these sizes and strides over the same storage, from `offset`
    /// (default: this tensor's); IndexError when it reaches outside the storage.
    Tensor as_strided(const Dims& sizes, const Dims& strides, std::optional<std::int64_t> offset = {}) const;
    /// select(0, index).
    Tensor operator[](std::int64_t index) const { return select(0, index); }

    // ---- copies and conversions --------------------------------------------
    /// This tensor when contiguous, else a contiguous copy.
    Tensor contiguous() const;
    /// A copy with its own data (recorded by autograd).
    Tensor clone() const;
    /// A copy converted to dtype `t` (this tensor itself when it has that dtype already).
    Tensor to(DType t) const;
    /// A copy on device `d` (this tensor when it is there already).
    Tensor to(Device d) const;
    /// A tensor sharing the data, outside the autograd graph.
    Tensor detach() const;
    /// Takes this tensor out of the autograd graph, in place.
    Tensor& detach_();

    // ---- in-place ----------------------------------------------------------
    /// Sets every element to 0.
    Tensor& zero_();
    /// Sets every element to `v`.
    Tensor& fill_(Scalar v);
    /// Copies `src` (broadcast to this shape, converted to this dtype) into this tensor.
    Tensor& copy_(const Tensor& src);
    /// this += alpha * o (o broadcast to this shape).
    Tensor& add_(const Tensor& o, Scalar alpha = 1);
    /// this += o.
    Tensor& add_(Scalar o);
    /// this -= o (o broadcast to this shape).
    Tensor& sub_(const Tensor& o);
    /// this -= o.
    Tensor& sub_(Scalar o);
    /// this *= o (o broadcast to this shape).
    Tensor& mul_(const Tensor& o);
    /// this *= o.
    Tensor& mul_(Scalar o);
    /// this /= o (o broadcast to this shape).
    Tensor& div_(const Tensor& o);
    /// this /= o.
    Tensor& div_(Scalar o);
    /// Clamps every element into [lo, hi] (an absent bound does not clamp).
    Tensor& clamp_(std::optional<Scalar> lo, std::optional<Scalar> hi);
    /// Sets the elements where the bool `mask` (broadcast) is true to `v`.
    Tensor& masked_fill_(const Tensor& mask, Scalar v);
    /// Fills with uniform random numbers in [lo, hi) (see manual_seed()).
    Tensor& uniform_(double lo = 0.0, double hi = 1.0);
    /// Fills with normal random numbers of this mean and standard deviation.
    Tensor& normal_(double mean = 0.0, double std = 1.0);
    /// Adds alpha * src's slices along `dim` into the slices `index` (int64) names.
    Tensor& index_add_(std::int64_t dim, const Tensor& index, const Tensor& src, Scalar alpha = 1);
    /// Writes src's elements where `index` (int64, src's shape) points along `dim`.
    Tensor& scatter_(std::int64_t dim, const Tensor& index, const Tensor& src);
    /// Writes `value` where `index` (int64) points along `dim`.
    Tensor& scatter_(std::int64_t dim, const Tensor& index, Scalar value);
    /// Adds src's elements where `index` (int64, src's shape) points along `dim`.
    Tensor& scatter_add_(std::int64_t dim, const Tensor& index, const Tensor& src);

    // ---- common ops as methods ---------------------------------------------
    /// peso::add(*this, o): elementwise, broadcasting.
    Tensor add(const Tensor& o) const;
    /// peso::sub(*this, o): elementwise, broadcasting.
    Tensor sub(const Tensor& o) const;
    /// peso::mul(*this, o): elementwise, broadcasting.
    Tensor mul(const Tensor& o) const;
    /// peso::div(*this, o): elementwise, broadcasting.
    Tensor div(const Tensor& o) const;
    /// Each element to the power `p`.
    Tensor pow(Scalar p) const;
    /// -x for each element.
    Tensor neg() const;
    /// |x| for each element.
    Tensor abs() const;
    /// e^x for each element.
    Tensor exp() const;
    /// The natural logarithm of each element.
    Tensor log() const;
    /// The square root of each element.
    Tensor sqrt() const;
    /// tanh of each element.
    Tensor tanh() const;
    /// 1 / (1 + e^-x) for each element.
    Tensor sigmoid() const;
    /// max(x, 0) for each element.
    Tensor relu() const;
    /// peso::matmul(*this, o): matrix product with NumPy's rules for 1-D and batched operands.
    Tensor matmul(const Tensor& o) const;
    /// The product of two matrices (2-D only).
    Tensor mm(const Tensor& o) const;
    /// The sum of all elements (a 0-dim tensor).
    Tensor sum() const;
    /// The sum over `dims`, which are kept with size 1 when `keepdim`.
    Tensor sum(const Dims& dims, bool keepdim = false) const;
    /// The mean of all elements (a 0-dim tensor).
    Tensor mean() const;
    /// The mean over `dims`, which are kept with size 1 when `keepdim`.
    Tensor mean(const Dims& dims, bool keepdim = false) const;
    /// The largest element (a 0-dim tensor).
    Tensor max() const;
    /// The smallest element (a 0-dim tensor).
    Tensor min() const;
    /// The index (int64) of the largest element, overall or along `dim`.
    Tensor argmax(std::optional<std::int64_t> dim = {}, bool keepdim = false) const;
    /// Softmax along `dim`.
    Tensor softmax(std::int64_t dim) const;
    /// log(softmax) along `dim`, computed stably.
    Tensor log_softmax(std::int64_t dim) const;
    /// A copy with the elements where the bool `mask` (broadcast) is true set to `v`.
    Tensor masked_fill(const Tensor& mask, Scalar v) const;

    /// The tensor printed as PyTorch prints it ("tensor([[1., 2.], ...])").
    std::string str() const;

    // ---- autograd (defined in autograd/tensor_autograd.cpp) ----------------
    /// Whether autograd records ops on this tensor.
    bool requires_grad() const;
    /// Makes a leaf require (or not) gradients; returns *this, so that
    /// `randn({3}).requires_grad_()` reads as one expression.
    Tensor& requires_grad_(bool enabled = true);
    /// The accumulated gradient of a leaf (or of a tensor that retain_grad()s).
    Tensor grad() const;
    /// Replaces the accumulated gradient (undefined clears it).
    void set_grad(const Tensor& g) const;
    /// Whether this tensor was not made by a recorded op (its gradient accumulates in grad()).
    bool is_leaf() const;
    /// The graph node that made this tensor (null for a leaf).
    std::shared_ptr<autograd::Node> grad_fn() const;
    /// Gradient of this tensor (ones for a scalar) propagated to the leaves.
    void backward(const Tensor& gradient = {}, bool retain_graph = false, bool create_graph = false) const;
    /// Keeps this non-leaf's gradient in grad() during backward().
    void retain_grad() const;
    /// hook(grad) runs when this tensor's gradient is computed; a defined
    /// return value replaces the gradient.
    void register_hook(std::function<Tensor(const Tensor&)> hook) const;
    /// Runs after a leaf's .grad() was updated.
    void register_post_accumulate_grad_hook(std::function<void(Tensor&)> hook) const;
    /// Bumped by every in-place change of the data (shared by views).
    std::uint64_t version() const { return impl().storage->version(); }

private:
    std::shared_ptr<TensorImpl> impl_;
};

/// Prints t.str().
std::ostream& operator<<(std::ostream& os, const Tensor& t);

}  // namespace peso
