// Tensor's methods: each is the public (differentiable where it has a
// gradient) free function of the same name. They live here, above the tensor
// layer, because the public functions are the autograd layer's.
#include <sstream>

#include "autograd/function.h"
#include "autograd/functions.h"
#include "tensor/functions.h"
#include "tensor/tensor.h"

namespace peso {

Tensor Tensor::view(const Dims& shape) const { return peso::view(*this, shape); }
Tensor Tensor::reshape(const Dims& shape) const { return peso::reshape(*this, shape); }
Tensor Tensor::permute(const Dims& order) const { return peso::permute(*this, order); }
Tensor Tensor::transpose(std::int64_t d0, std::int64_t d1) const { return peso::transpose(*this, d0, d1); }
Tensor Tensor::t() const {
    PESO_CHECK(dim() <= 2, ShapeError, "t: expects a tensor of at most 2 dims, got shape {}", sizes());
    return dim() < 2 ? *this : peso::transpose(*this, 0, 1);
}
Tensor Tensor::narrow(std::int64_t d, std::int64_t start, std::int64_t length) const {
    return peso::narrow(*this, d, start, length);
}
Tensor Tensor::slice(std::int64_t d, std::optional<std::int64_t> start, std::optional<std::int64_t> end,
                     std::int64_t step) const {
    return peso::slice(*this, d, start, end, step);
}
Tensor Tensor::select(std::int64_t d, std::int64_t index) const { return peso::select(*this, d, index); }
Tensor Tensor::expand(const Dims& shape) const { return peso::expand(*this, shape); }
Tensor Tensor::squeeze() const { return peso::squeeze(*this); }
Tensor Tensor::squeeze(std::int64_t d) const { return peso::squeeze(*this, d); }
Tensor Tensor::unsqueeze(std::int64_t d) const { return peso::unsqueeze(*this, d); }
Tensor Tensor::flatten(std::int64_t s, std::int64_t e) const { return peso::flatten(*this, s, e); }
Tensor Tensor::unflatten(std::int64_t d, const Dims& sizes) const { return peso::unflatten(*this, d, sizes); }
Tensor Tensor::as_strided(const Dims& sizes, const Dims& strides, std::optional<std::int64_t> offset) const {
    return peso::as_strided(*this, sizes, strides, offset);
}

Tensor Tensor::contiguous() const { return peso::contiguous(*this); }
Tensor Tensor::clone() const { return peso::clone(*this); }
Tensor Tensor::to(DType t) const { return peso::to_dtype(*this, t); }
Tensor Tensor::to(Device d) const { return peso::to_device(*this, d); }
Tensor Tensor::detach() const {
    // Shares data and (through the storage) the version counter, not history.
    auto impl = std::make_shared<TensorImpl>(this->impl());
    impl->autograd.reset();
    return Tensor(std::move(impl));
}

Tensor& Tensor::detach_() {
    impl().autograd.reset();
    return *this;
}

Tensor& Tensor::zero_() { return peso::zero_(*this); }
Tensor& Tensor::fill_(Scalar v) { return peso::fill_(*this, v); }
Tensor& Tensor::copy_(const Tensor& src) { return peso::copy_(*this, src); }
Tensor& Tensor::add_(const Tensor& o, Scalar alpha) { return peso::add_(*this, o, alpha); }
Tensor& Tensor::add_(Scalar o) { return peso::add_(*this, o); }
Tensor& Tensor::sub_(const Tensor& o) { return peso::sub_(*this, o); }
Tensor& Tensor::sub_(Scalar o) { return peso::sub_(*this, o); }
Tensor& Tensor::mul_(const Tensor& o) { return peso::mul_(*this, o); }
Tensor& Tensor::mul_(Scalar o) { return peso::mul_(*this, o); }
Tensor& Tensor::div_(const Tensor& o) { return peso::div_(*this, o); }
Tensor& Tensor::div_(Scalar o) { return peso::div_(*this, o); }
Tensor& Tensor::clamp_(std::optional<Scalar> lo, std::optional<Scalar> hi) { return peso::clamp_(*this, lo, hi); }
Tensor& Tensor::masked_fill_(const Tensor& mask, Scalar v) { return peso::masked_fill_(*this, mask, v); }
Tensor& Tensor::uniform_(double lo, double hi) { return peso::uniform_(*this, lo, hi); }
Tensor& Tensor::normal_(double mean, double std) { return peso::normal_(*this, mean, std); }
Tensor& Tensor::index_add_(std::int64_t d, const Tensor& index, const Tensor& src, Scalar alpha) {
    return peso::index_add_(*this, d, index, src, alpha);
}
Tensor& Tensor::scatter_(std::int64_t d, const Tensor& index, const Tensor& src) {
    return peso::scatter_(*this, d, index, src);
}
Tensor& Tensor::scatter_(std::int64_t d, const Tensor& index, Scalar value) {
    return peso::scatter_(*this, d, index, value);
}
Tensor& Tensor::scatter_add_(std::int64_t d, const Tensor& index, const Tensor& src) {
    return peso::scatter_add_(*this, d, index, src);
}

Tensor Tensor::add(const Tensor& o) const { return peso::add(*this, o); }
Tensor Tensor::sub(const Tensor& o) const { return peso::sub(*this, o); }
Tensor Tensor::mul(const Tensor& o) const { return peso::mul(*this, o); }
Tensor Tensor::div(const Tensor& o) const { return peso::div(*this, o); }
Tensor Tensor::pow(Scalar p) const { return peso::pow(*this, p); }
Tensor Tensor::neg() const { return peso::neg(*this); }
Tensor Tensor::abs() const { return peso::abs(*this); }
Tensor Tensor::exp() const { return peso::exp(*this); }
Tensor Tensor::log() const { return peso::log(*this); }
Tensor Tensor::sqrt() const { return peso::sqrt(*this); }
Tensor Tensor::tanh() const { return peso::tanh(*this); }
Tensor Tensor::sigmoid() const { return peso::sigmoid(*this); }
Tensor Tensor::relu() const { return peso::relu(*this); }
Tensor Tensor::matmul(const Tensor& o) const { return peso::matmul(*this, o); }
Tensor Tensor::mm(const Tensor& o) const { return peso::mm(*this, o); }
Tensor Tensor::sum() const { return peso::sum(*this); }
Tensor Tensor::sum(const Dims& dims, bool keepdim) const { return peso::sum(*this, dims, keepdim); }
Tensor Tensor::mean() const { return peso::mean(*this); }
Tensor Tensor::mean(const Dims& dims, bool keepdim) const { return peso::mean(*this, dims, keepdim); }
Tensor Tensor::max() const { return peso::amax(*this); }
Tensor Tensor::min() const { return peso::amin(*this); }
Tensor Tensor::argmax(std::optional<std::int64_t> d, bool keepdim) const { return peso::argmax(*this, d, keepdim); }
Tensor Tensor::softmax(std::int64_t d) const { return peso::softmax(*this, d); }
Tensor Tensor::log_softmax(std::int64_t d) const { return peso::log_softmax(*this, d); }
Tensor Tensor::masked_fill(const Tensor& mask, Scalar v) const { return peso::masked_fill(*this, mask, v); }

std::string Tensor::str() const {
    std::ostringstream os;
    os << *this;
    return os.str();
}

}  // namespace peso
