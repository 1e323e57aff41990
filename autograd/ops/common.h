#pragma once
// Shared by the op definitions in this folder.
#include "autograd/function.h"
#include "autograd/functions.h"
#include "autograd/reduce_grad.h"
#include "tensor/native.h"

namespace peso::autograd {

using Ctx = BackwardContext;
using Grads = TensorList;

inline SavedTensor save(const Tensor& t) { return SavedTensor(t, false); }
inline SavedTensor save_output(const Tensor& t) { return SavedTensor(t, true); }

// Gradient of an op that ignores its input's values (floor, sign, ...).
inline Tensor zeros_grad(const Tensor& g) { return native::zeros_like(g); }

}  // namespace peso::autograd
