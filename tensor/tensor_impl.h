#pragma once
#include <cstdint>
#include <memory>

#include "core/dims.h"
#include "core/dtype.h"
#include "tensor/storage.h"

namespace peso {

// Defined by autograd/; the tensor layer only carries the pointer so that a
// tensor's gradient state travels with it.
struct AutogradMeta;

// The state behind a Tensor handle: a view (sizes, strides, offset, dtype)
// into a shared Storage. Offsets and strides count elements, not bytes.
struct TensorImpl {
    std::shared_ptr<Storage> storage;
    std::int64_t offset = 0;
    Dims sizes;
    Dims strides;
    DType dtype = DType::f32;
    std::shared_ptr<AutogradMeta> autograd;

    void* data() const {
        char* const base = static_cast<char*>(storage->data());
        // A 0-byte storage has no block: an offset into nothing stays nothing.
        return base == nullptr ? nullptr : base + offset * static_cast<std::int64_t>(itemsize(dtype));
    }
};

}  // namespace peso
