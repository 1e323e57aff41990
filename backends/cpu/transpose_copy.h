#pragma once
// Copying a transposed view into contiguous memory (x.transpose(..).contiguous(),
// the head permutes of attention) walks one side with a large stride; done
// element by element that runs at a few GB/s. Copying in square tiles keeps
// both sides' cache lines in use.
#include "backends/tensor_arg.h"

namespace peso::cpu {

// Copies src into dst when dst is unit-stride along its last dim and src is
// unit-stride along another dim; returns false (doing nothing) otherwise.
bool try_tiled_transpose_copy(const TensorArg& dst, const TensorArg& src);

}  // namespace peso::cpu
