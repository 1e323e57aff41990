#pragma once
#include <optional>

#include "core/device.h"
#include "core/dtype.h"

namespace peso {

// What a creation op builds: dtype (float32 unless given or inferred) and device.
struct TensorOptions {
    std::optional<DType> dtype_;
    Device device_ = Device::cpu();

    TensorOptions() = default;
    TensorOptions(DType t) : dtype_(t) {}
    TensorOptions(Device d) : device_(d) {}
    TensorOptions dtype(DType t) const { auto o = *this; o.dtype_ = t; return o; }
    TensorOptions device(Device d) const { auto o = *this; o.device_ = d; return o; }
    DType dtype_or(DType fallback) const { return dtype_.value_or(fallback); }
};

inline constexpr DType kDefaultDType = DType::f32;

}  // namespace peso
