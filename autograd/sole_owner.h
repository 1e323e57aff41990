#pragma once
// Whether a gradient buffer may be modified in place or kept without a copy.
#include "tensor/tensor.h"

namespace peso::autograd {

// True when `t` is the only handle on its impl and the only user of its whole
// storage (no view, no other gradient, no saved tensor shares it) and is
// contiguous: writing into it cannot be observed elsewhere.
inline bool sole_owner(const Tensor& t) {
    return t.impl_ptr().use_count() == 1 && t.impl().storage.use_count() == 1 && t.is_contiguous();
}

}  // namespace peso::autograd
