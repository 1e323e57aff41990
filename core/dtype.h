#pragma once
// Element types and PyTorch's type-promotion lattice.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "core/error.h"

namespace peso {

/// A tensor's element type: bool, int32, int64, float16, bfloat16, float32,
/// float64 (in promotion order).
enum class DType : std::uint8_t { b8, i32, i64, f16, bf16, f32, f64 };

/// A float16 number's bits. Storage types for the half formats; arithmetic on
/// them arrives with the CUDA backend, until then they only exist so that files
/// and APIs can name them.
struct Half {
    std::uint16_t bits;  ///< IEEE binary16
};
/// A bfloat16 number's bits (see Half).
struct BFloat16 {
    std::uint16_t bits;  ///< the upper half of a float32
};

/// The size of one element of dtype `t`, in bytes.
constexpr std::size_t itemsize(DType t) {
    switch (t) {
        case DType::b8: return 1;
        case DType::i32: return 4;
        case DType::i64: return 8;
        case DType::f16: return 2;
        case DType::bf16: return 2;
        case DType::f32: return 4;
        case DType::f64: return 8;
    }
    return 0;
}

/// PyTorch's name of the dtype: "bool", "int32", "int64", "float16", "bfloat16", "float32", "float64".
constexpr std::string_view dtype_name(DType t) {
    switch (t) {
        case DType::b8: return "bool";
        case DType::i32: return "int32";
        case DType::i64: return "int64";
        case DType::f16: return "float16";
        case DType::bf16: return "bfloat16";
        case DType::f32: return "float32";
        case DType::f64: return "float64";
    }
    return "?";
}

/// Whether `t` is float16, bfloat16, float32 or float64.
constexpr bool is_floating(DType t) {
    return t == DType::f16 || t == DType::bf16 || t == DType::f32 || t == DType::f64;
}
/// Whether `t` is int32 or int64 (bool is not).
constexpr bool is_integral(DType t) { return t == DType::i32 || t == DType::i64; }

/// Category used by promotion: bool < integer < floating.
constexpr int dtype_category(DType t) { return t == DType::b8 ? 0 : is_integral(t) ? 1 : 2; }

/// Promotion of two dtypes of tensors that take part on equal footing.
constexpr DType promote_types(DType a, DType b) {
    if (a == b) return a;
    // float16 with bfloat16 has no lossless common type below float32.
    if ((a == DType::f16 && b == DType::bf16) || (a == DType::bf16 && b == DType::f16)) return DType::f32;
    return static_cast<std::uint8_t>(a) > static_cast<std::uint8_t>(b) ? a : b;
}

/// The dtype of C++ type T (bool, int32_t, int64_t, float, double): dtype_of<float>::value == DType::f32.
template <typename T> struct dtype_of;
/// @cond SPECIALIZATIONS
template <> struct dtype_of<bool> { static constexpr DType value = DType::b8; };
template <> struct dtype_of<std::int32_t> { static constexpr DType value = DType::i32; };
template <> struct dtype_of<std::int64_t> { static constexpr DType value = DType::i64; };
template <> struct dtype_of<float> { static constexpr DType value = DType::f32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::f64; };
/// @endcond
/// dtype_of<T>::value.
template <typename T> inline constexpr DType dtype_v = dtype_of<T>::value;

/// Carries a C++ type to a generic lambda (see visit_dtype()).
template <typename T> struct TypeTag {
    using type = T;  ///< the carried type
};

/// Calls fn(TypeTag<T>{}) for the C++ type of a computable dtype.
/// `op` names the caller in the error raised for dtypes without kernels.
template <typename Fn>
decltype(auto) visit_dtype(DType t, std::string_view op, Fn&& fn) {
    switch (t) {
        case DType::b8: return fn(TypeTag<bool>{});
        case DType::i32: return fn(TypeTag<std::int32_t>{});
        case DType::i64: return fn(TypeTag<std::int64_t>{});
        case DType::f32: return fn(TypeTag<float>{});
        case DType::f64: return fn(TypeTag<double>{});
        default: break;
    }
    throw NotImplementedError(fmt::format("{}: dtype {} has no kernels yet", op, dtype_name(t)));
}

/// Same, for the floating dtypes only.
template <typename Fn>
decltype(auto) visit_floating(DType t, std::string_view op, Fn&& fn) {
    switch (t) {
        case DType::f32: return fn(TypeTag<float>{});
        case DType::f64: return fn(TypeTag<double>{});
        default: break;
    }
    throw DTypeError(fmt::format("{}: expected a floating dtype (float32 or float64), got {}", op, dtype_name(t)));
}

}  // namespace peso

/// @cond FORMATTERS
template <> struct fmt::formatter<peso::DType> : fmt::formatter<std::string_view> {
    auto format(peso::DType t, format_context& ctx) const {
        return fmt::formatter<std::string_view>::format(peso::dtype_name(t), ctx);
    }
};
/// @endcond
