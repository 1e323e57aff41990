#pragma once
// A number passed to an op by value (a "wrapped number" in PyTorch terms): it
// remembers whether it was a bool, an integer or a floating value so that type
// promotion can treat `int_tensor * 2` and `int_tensor * 2.5` differently.
#include <cstdint>
#include <limits>
#include <type_traits>

#include "core/dtype.h"

namespace peso {

/// A floating value converted to the integer type T without undefined
/// behaviour: NaN and values outside T's range give T's minimum (for int64
/// and int32 what x86's truncating conversion gives, so results stay as the
/// plain cast gave them there).
template <typename T> constexpr T truncate_to(double v) {
    // The range as doubles: [min, max + 1), both powers of two (or 0) and so exact.
    constexpr double lo = static_cast<double>(std::numeric_limits<T>::min());
    constexpr double end = 2.0 * static_cast<double>(std::numeric_limits<T>::max() / 2 + 1);
    if (!(v >= lo && v < end)) return std::numeric_limits<T>::min();
    return static_cast<T>(v);
}

/// A number passed to an op (`t * 2`, `fill_(0.5)`): bool, integer or floating,
/// as written, so that type promotion follows PyTorch's rules for wrapped numbers.
class Scalar {
public:
    /// A bool value.
    Scalar(bool b) : kind_(DType::b8), i_(b), d_(b) {}
    /// An integer value (kept as int64).
    template <typename T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
    Scalar(T v) : kind_(DType::i64), i_(static_cast<std::int64_t>(v)), d_(static_cast<double>(v)) {}
    /// A floating value (kept as double).
    template <typename T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
    Scalar(T v) : kind_(DType::f64), i_(truncate_to<std::int64_t>(static_cast<double>(v))), d_(static_cast<double>(v)) {}

    /// bool, int64 or float64: the category of the value as written.
    DType kind() const { return kind_; }
    /// Whether the value was written as a floating number.
    bool is_floating() const { return kind_ == DType::f64; }
    /// The value as a double.
    double to_double() const { return d_; }
    /// The value as an int64 (a floating value truncated).
    std::int64_t to_int() const { return i_; }
    /// The value as a T (from the double for floating T, else as written).
    template <typename T> T to() const {
        if constexpr (std::is_floating_point_v<T>) return static_cast<T>(d_);
        else if constexpr (std::is_same_v<T, bool>) return d_ != 0.0;
        else if constexpr (std::is_integral_v<T>) return kind_ == DType::f64 ? truncate_to<T>(d_) : static_cast<T>(i_);
        else return kind_ == DType::f64 ? static_cast<T>(d_) : static_cast<T>(i_);  // number classes (bfloat16)
    }

private:
    DType kind_;
    std::int64_t i_;
    double d_;
};

}  // namespace peso
