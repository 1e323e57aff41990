#pragma once
// How a reduction over a set of dims is laid out for the backend: which dims
// are reduced, the output shape, and the (out, in) argument pair of the reduce
// primitives, where in = (out's dims..., reduced dims...).
#include <bitset>
#include <cstdint>

#include "backends/tensor_arg.h"
#include "core/dims.h"
#include "tensor/tensor.h"

namespace peso {

using DimMask = std::bitset<kMaxDims>;

// The dims `dims` names in an ndim-dim tensor (every dim when `dims` is empty).
// Throws IndexError for a dim out of range and ValueError for a repeated dim.
DimMask reduction_mask(const Dims& dims, int ndim, const char* op);

// `sizes` without the reduced dims, or with size 1 in their place (keepdim).
Dims reduced_shape(const Dims& sizes, DimMask mask, bool keepdim);

// How many elements each output element of the reduction combines.
std::int64_t reduced_numel(const Dims& sizes, DimMask mask);

// Throws IndexError naming `op` when a reduced dim has size 0 (ops without an
// identity element, such as amax, cannot reduce nothing).
void check_nonempty_reduction(const Dims& sizes, DimMask mask, const char* op);

struct ReduceArgs {
    TensorArg out;
    TensorArg in;
};

// The arguments of reducing x over `mask` into `out`, whose shape is
// reduced_shape(x.sizes(), mask, false) (any strides). Size-1 dims are dropped
// (except reduced ones when keep_reduced_dims, for ops that need the dim),
// reduced dims are ordered by decreasing stride and adjacent dims that step
// through memory as one are merged, so that backends see as few dims and as
// long unit-stride runs as the layout allows.
ReduceArgs reduce_args(const Tensor& out, const Tensor& x, DimMask mask, bool keep_reduced_dims = false);

}  // namespace peso
