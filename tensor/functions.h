#pragma once
// The public functions of peso. For now they are the tensor layer's ops;
// the autograd layer will provide differentiable versions of those that have
// gradients, and this header will name those instead.
#include "tensor/native.h"

namespace peso {

using native::empty;
using native::empty_strided;
using native::zeros;
using native::ones;
using native::full;
using native::scalar_tensor;
using native::arange;
using native::linspace;
using native::eye;
using native::empty_like;
using native::zeros_like;
using native::ones_like;
using native::full_like;
using native::from_vector;
using native::tensor;
using native::rand;
using native::randn;
using native::randint;
using native::randperm;
using native::rand_like;
using native::randn_like;
using native::bernoulli;
using native::multinomial;
using native::uniform_;
using native::normal_;
using native::contiguous;
using native::clone;
using native::to_dtype;
using native::to_device;
using native::copy_;
using native::fill_;
using native::zero_;
using native::view;
using native::reshape;
using native::permute;
using native::transpose;
using native::narrow;
using native::slice;
using native::select;
using native::expand;
using native::squeeze;
using native::unsqueeze;
using native::flatten;
using native::unflatten;
using native::as_strided;
using native::diagonal;
using native::unary;
using native::neg;
using native::abs;
using native::exp;
using native::log;
using native::log1p;
using native::sqrt;
using native::rsqrt;
using native::sin;
using native::cos;
using native::tanh;
using native::sigmoid;
using native::relu;
using native::gelu;
using native::erf;
using native::sign;
using native::floor;
using native::ceil;
using native::round;
using native::reciprocal;
using native::pow;
using native::clamp;
using native::logical_not;
using native::isnan;
using native::isinf;
using native::binary;
using native::add;
using native::sub;
using native::mul;
using native::div;
using native::maximum;
using native::minimum;
using native::remainder;
using native::floor_divide;
using native::eq;
using native::ne;
using native::lt;
using native::le;
using native::gt;
using native::ge;
using native::logical_and;
using native::logical_or;
using native::logical_xor;
using native::where;
using native::masked_fill;
using native::binary_;
using native::unary_;
using native::masked_fill_;
using native::allclose;
using native::equal;
using native::sum;
using native::mean;
using native::prod;
using native::var;
using native::std;
using native::amax;
using native::amin;
using native::max;
using native::min;
using native::argmax;
using native::argmin;
using native::logsumexp;
using native::all;
using native::any;
using native::matmul;
using native::mm;
using native::bmm;
using native::einsum;
using native::softmax;
using native::log_softmax;
using native::layer_norm;
using native::embedding;
using native::index_select;
using native::gather;
using native::scatter;
using native::scatter_add;
using native::index_add;
using native::scatter_;
using native::scatter_add_;
using native::index_add_;
using native::one_hot;
using native::cat;
using native::stack;
using native::split;
using native::chunk;
using native::tril;
using native::triu;
using native::sort;
using native::argsort;
using native::topk;
using native::cumsum;

// PyTorch-style operators.
inline Tensor operator+(const Tensor& a, const Tensor& b) { return native::add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return native::sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return native::mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return native::div(a, b); }
inline Tensor operator+(const Tensor& a, Scalar b) { return native::add(a, b); }
inline Tensor operator-(const Tensor& a, Scalar b) { return native::sub(a, b); }
inline Tensor operator*(const Tensor& a, Scalar b) { return native::mul(a, b); }
inline Tensor operator/(const Tensor& a, Scalar b) { return native::div(a, b); }
inline Tensor operator+(Scalar a, const Tensor& b) { return native::add(b, a); }
inline Tensor operator-(Scalar a, const Tensor& b) { return native::sub(a, b); }
inline Tensor operator*(Scalar a, const Tensor& b) { return native::mul(b, a); }
inline Tensor operator/(Scalar a, const Tensor& b) { return native::div(a, b); }
inline Tensor operator-(const Tensor& a) { return native::neg(a); }
inline Tensor operator<(const Tensor& a, const Tensor& b) { return native::lt(a, b); }
inline Tensor operator<=(const Tensor& a, const Tensor& b) { return native::le(a, b); }
inline Tensor operator>(const Tensor& a, const Tensor& b) { return native::gt(a, b); }
inline Tensor operator>=(const Tensor& a, const Tensor& b) { return native::ge(a, b); }
inline Tensor operator<(const Tensor& a, Scalar b) { return native::lt(a, b); }
inline Tensor operator<=(const Tensor& a, Scalar b) { return native::le(a, b); }
inline Tensor operator>(const Tensor& a, Scalar b) { return native::gt(a, b); }
inline Tensor operator>=(const Tensor& a, Scalar b) { return native::ge(a, b); }
inline Tensor operator&&(const Tensor& a, const Tensor& b) { return native::logical_and(a, b); }
inline Tensor operator||(const Tensor& a, const Tensor& b) { return native::logical_or(a, b); }
inline Tensor operator!(const Tensor& a) { return native::logical_not(a); }

}  // namespace peso
