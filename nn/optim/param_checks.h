#pragma once
// Checks shared by the optimizers' updates.
#include <cstddef>
#include <string_view>

#include "tensor/tensor.h"

namespace peso::nn::optim {

// A gradient must match its parameter in shape, dtype and device.
inline void check_grad(std::string_view optimizer, std::size_t index, const Tensor& p, const Tensor& grad) {
    PESO_CHECK(grad.sizes() == p.sizes(), ShapeError, "{}: parameter {} has shape {} but its gradient has shape {}",
               optimizer, index, p.sizes(), grad.sizes());
    PESO_CHECK(grad.dtype() == p.dtype(), DTypeError, "{}: parameter {} has dtype {} but its gradient has dtype {}",
               optimizer, index, p.dtype(), grad.dtype());
    PESO_CHECK(grad.device() == p.device(), DeviceError,
               "{}: parameter {} is on {} but its gradient is on {}", optimizer, index, p.device(), grad.device());
}

}  // namespace peso::nn::optim
