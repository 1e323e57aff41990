#pragma once
#include <cstdint>

#include "backends/tensor_arg.h"

namespace peso {

// Element offset of the `linear`-th element (row-major order) of a strided arg.
inline std::int64_t offset_of(const TensorArg& a, std::int64_t linear) {
    std::int64_t off = 0;
    for (int d = a.dim() - 1; d >= 0; --d) {
        const std::int64_t s = a.sizes[d];
        off += (linear % s) * a.strides[d];
        linear /= s;
    }
    return off;
}

}  // namespace peso
