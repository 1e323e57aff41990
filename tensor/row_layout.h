#pragma once
// Helpers for ops whose primitives work on contiguous rows over the last dim
// (softmax, sort, topk, cumsum): the op's dim is swapped to the end, the input
// made contiguous, and the results swapped back.
#include <cstdint>

#include "backends/tensor_arg.h"
#include "tensor/native.h"

namespace peso {

// x with dims `dim` and -1 swapped, contiguous (no copy when already so).
inline Tensor rows_last(const Tensor& x, int dim) {
    const int last = x.dim() - 1;
    return native::contiguous(dim >= last ? x : native::transpose(x, dim, last));
}

// The inverse of rows_last for a result computed in that layout; contiguous,
// as PyTorch returns these results.
inline Tensor rows_back(const Tensor& t, int dim) {
    const int last = t.dim() - 1;
    return dim >= last ? t : native::contiguous(native::transpose(t, dim, last));
}

// A contiguous tensor seen as a 2-D (rows, n) argument, n its last extent
// (a 0-dim tensor is one row of one element).
inline TensorArg as_rows(const Tensor& t) {
    const std::int64_t n = t.dim() == 0 ? 1 : t.size(-1);
    const std::int64_t rows = n == 0 ? 0 : t.numel() / n;
    TensorArg a = t.arg();
    a.sizes = Dims{rows, n};
    a.strides = Dims{n, 1};
    return a;
}

}  // namespace peso
