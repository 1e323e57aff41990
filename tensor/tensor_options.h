#pragma once
#include <optional>

#include "core/device.h"
#include "core/dtype.h"

namespace peso {

/// What a creation op builds: dtype (float32 unless given or inferred) and device.
struct TensorOptions {
    std::optional<DType> dtype_;    ///< the dtype, when chosen
    Device device_ = Device::cpu();  ///< the device (the CPU unless chosen)

    /// No dtype chosen, the CPU.
    TensorOptions() = default;
    /// This dtype, on the CPU: `zeros({2}, DType::i64)`.
    TensorOptions(DType t) : dtype_(t) {}
    /// This device, the dtype left to the op: `zeros({2}, Device::cuda())`.
    TensorOptions(Device d) : device_(d) {}
    /// A copy with the dtype set.
    TensorOptions dtype(DType t) const { auto o = *this; o.dtype_ = t; return o; }
    /// A copy with the device set.
    TensorOptions device(Device d) const { auto o = *this; o.device_ = d; return o; }
    /// The chosen dtype, else `fallback`.
    DType dtype_or(DType fallback) const { return dtype_.value_or(fallback); }
};

/// The dtype of floating tensors made without one (float32, as in PyTorch).
inline constexpr DType kDefaultDType = DType::f32;

}  // namespace peso
