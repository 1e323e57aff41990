#pragma once
// The tensor-layer op mixed precision (autograd/autocast.h) is built on.
#include "core/dtype.h"
#include "tensor/tensor.h"

namespace peso::native {

/// matmul(a, b) (same shapes and broadcasting) with the result in `out_dtype`:
/// bfloat16 operands with a float32 result (fp32 accumulation, no rounding to
/// bf16), as mixed precision wants; otherwise out_dtype must be the operands'.
Tensor matmul_as(const Tensor& a, const Tensor& b, DType out_dtype);

}  // namespace peso::native
