#pragma once
// The one place where broadcasting and type promotion are decided (the role of
// PyTorch's TensorIterator): every elementwise front-end goes through here.
#include <initializer_list>
#include <span>

#include "backends/tensor_arg.h"
#include "core/scalar.h"
#include "tensor/tensor.h"

namespace peso {

// NumPy broadcasting of two shapes; throws ShapeError naming `op` and both shapes.
Dims broadcast_shapes(const Dims& a, const Dims& b, const char* op);

// PyTorch's result_type: dimensioned tensors outrank 0-dim tensors, which
// outrank wrapped scalars, unless a lower tier has a higher category
// (bool < integer < floating); a floating scalar with integer tensors gives float32.
DType result_type(const Tensor& a, const Tensor& b);
DType result_type(const Tensor& a, Scalar b);

// A view of t as an argument of shape `shape`: size-1 and missing leading dims
// get stride 0. t's shape must broadcast to `shape`.
TensorArg broadcast_arg(const Tensor& t, const Dims& shape);

// Merges adjacent dims that are contiguous in every argument (all args share
// sizes) and drops size-1 dims, so that backends loop over as few dims as
// possible. Purely an optimization: the elements visited are the same.
void coalesce_dims(std::span<TensorArg* const> args);

// Throws DeviceError unless all defined tensors are on the same device.
void check_same_device(const char* op, std::initializer_list<const Tensor*> tensors);

}  // namespace peso
