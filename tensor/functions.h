#pragma once
// The public ops that have no gradient (creation, random numbers,
// comparisons, logical ops, indices). The differentiable ones are declared
// in autograd/functions.h.
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
using native::logical_not;
using native::isnan;
using native::isinf;
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
using native::allclose;
using native::equal;
using native::argmax;
using native::argmin;
using native::all;
using native::any;
using native::one_hot;
using native::argsort;

/// lt(a, b): elementwise a < b, broadcasting, as a bool tensor.
inline Tensor operator<(const Tensor& a, const Tensor& b) { return native::lt(a, b); }
/// le(a, b): elementwise a <= b, broadcasting, as a bool tensor.
inline Tensor operator<=(const Tensor& a, const Tensor& b) { return native::le(a, b); }
/// gt(a, b): elementwise a > b, broadcasting, as a bool tensor.
inline Tensor operator>(const Tensor& a, const Tensor& b) { return native::gt(a, b); }
/// ge(a, b): elementwise a >= b, broadcasting, as a bool tensor.
inline Tensor operator>=(const Tensor& a, const Tensor& b) { return native::ge(a, b); }
/// lt(a, b): each element < b, as a bool tensor.
inline Tensor operator<(const Tensor& a, Scalar b) { return native::lt(a, b); }
/// le(a, b): each element <= b, as a bool tensor.
inline Tensor operator<=(const Tensor& a, Scalar b) { return native::le(a, b); }
/// gt(a, b): each element > b, as a bool tensor.
inline Tensor operator>(const Tensor& a, Scalar b) { return native::gt(a, b); }
/// ge(a, b): each element >= b, as a bool tensor.
inline Tensor operator>=(const Tensor& a, Scalar b) { return native::ge(a, b); }
/// logical_and(a, b): elementwise, broadcasting, as a bool tensor.
inline Tensor operator&&(const Tensor& a, const Tensor& b) { return native::logical_and(a, b); }
/// logical_or(a, b): elementwise, broadcasting, as a bool tensor.
inline Tensor operator||(const Tensor& a, const Tensor& b) { return native::logical_or(a, b); }
/// logical_not(a): elementwise, as a bool tensor.
inline Tensor operator!(const Tensor& a) { return native::logical_not(a); }

}  // namespace peso
