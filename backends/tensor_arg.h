#pragma once
// TensorArg: what a backend sees of a tensor — a pointer to its first element,
// its dtype, extents and strides (in elements). No ownership, no autograd.
#include <cstdint>

#include "core/dims.h"
#include "core/dtype.h"

namespace peso {

struct TensorArg {
    void* data = nullptr;
    DType dtype = DType::f32;
    Dims sizes;
    Dims strides;

    int dim() const { return sizes.size(); }
    std::int64_t numel() const { return sizes.product(); }
    // An empty tensor holds no element to be out of order (as in PyTorch).
    bool is_contiguous() const {
        if (numel() == 0) return true;
        std::int64_t expected = 1;
        for (int i = dim() - 1; i >= 0; --i) {
            if (sizes[i] != 1 && strides[i] != expected) return false;
            expected *= sizes[i];
        }
        return true;
    }
    template <typename T> T* ptr() const { return static_cast<T*>(data); }
    bool defined() const { return data != nullptr || numel() == 0; }
};

}  // namespace peso
