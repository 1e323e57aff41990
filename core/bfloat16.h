#pragma once
// bfloat16: the upper 16 bits of an IEEE float32 (8 exponent bits, 7 stored
// significand bits). Values are stored as bfloat16 and computed on as float:
// reading widens exactly, storing rounds once, to nearest with ties to even.
//
// The rounding follows the AVX-512 BF16 instruction VCVTNEPS2BF16 bit for bit,
// so that the vector path (used when the CPU has it) and the portable path give
// identical results: a NaN stays a NaN (quieted, sign and upper payload kept),
// and float32 subnormals (|x| < 2^-126) become zero of the same sign, as the
// instruction treats denormal inputs as zero.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <utility>

#include "core/dtype.h"

namespace peso {

/// The bfloat16 bits nearest to `f` (ties to even; NaN stays NaN; float32
/// subnormals flush to signed zero, as VCVTNEPS2BF16 does).
constexpr std::uint16_t bf16_bits_from_float(float f) {
    const std::uint32_t u = std::bit_cast<std::uint32_t>(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((u >> 16) | 0x40u);  // quiet the NaN
    if ((u & 0x7f800000u) == 0) return static_cast<std::uint16_t>((u >> 16) & 0x8000u);         // zero, subnormal
    const std::uint32_t rounding = 0x7fffu + ((u >> 16) & 1u);  // halfway rounds to the even neighbour
    return static_cast<std::uint16_t>((u + rounding) >> 16);   // a carry into the exponent is the right answer
}

/// The float32 with bfloat16 bits `b` (exact).
constexpr float float_from_bf16_bits(std::uint16_t b) {
    return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16);
}

/// A bfloat16 number: converts to float implicitly (exactly) and from float
/// explicitly (rounding), so that kernels read bf16, compute in float and
/// round once when they store. (Same layout as core/dtype.h's bits-only
/// BFloat16, which names the type in APIs; kernels compute on this one.)
struct bfloat16 {
    std::uint16_t bits;  ///< the upper half of a float32

    bfloat16() = default;
    /// `f` rounded to the nearest bfloat16 (see bf16_bits_from_float()).
    constexpr explicit bfloat16(float f) : bits(bf16_bits_from_float(f)) {}
    /// The number with these bits.
    static constexpr bfloat16 from_bits(std::uint16_t b) {
        bfloat16 x;
        x.bits = b;
        return x;
    }
    /// The exact float32 value.
    constexpr operator float() const { return float_from_bf16_bits(bits); }
};

/// @cond SPECIALIZATIONS
template <> struct dtype_of<bfloat16> { static constexpr DType value = DType::bf16; };
/// @endcond

/// visit_dtype(), and bfloat16 for DType::bf16: for kernels written to read
/// bf16, compute in float and round once when storing.
template <typename Fn>
decltype(auto) visit_dtype_with_bf16(DType t, std::string_view op, Fn&& fn) {
    if (t == DType::bf16) return fn(TypeTag<bfloat16>{});
    return visit_dtype(t, op, std::forward<Fn>(fn));
}

namespace bf16 {

/// Whether this CPU has the AVX-512 BF16 conversion instructions (and this
/// build could compile code for them).
bool cpu_has_avx512_bf16();

/// out[i] = in[i] rounded, on the fastest path this CPU has.
void round_from_f32(const float* in, bfloat16* out, std::size_t n);
/// out[i] = in[i] widened (exact).
void widen_to_f32(const bfloat16* in, float* out, std::size_t n);

/// The portable rounding loop (what round_from_f32 uses without AVX-512 BF16).
void round_from_f32_portable(const float* in, bfloat16* out, std::size_t n);
/// The AVX-512 BF16 loop (_mm512_cvtneps_pbh); throws NotImplementedError
/// where the CPU or the compiler lacks it (see cpu_has_avx512_bf16()).
void round_from_f32_avx512(const float* in, bfloat16* out, std::size_t n);

}  // namespace bf16

}  // namespace peso

/// @cond SPECIALIZATIONS
template <> class std::numeric_limits<peso::bfloat16> {
public:
    static constexpr bool is_specialized = true;
    static constexpr bool is_signed = true;
    static constexpr bool is_integer = false;
    static constexpr bool is_exact = false;
    static constexpr bool has_infinity = true;
    static constexpr bool has_quiet_NaN = true;
    static constexpr int digits = 8;
    static constexpr peso::bfloat16 lowest() { return peso::bfloat16::from_bits(0xff7f); }
    static constexpr peso::bfloat16 max() { return peso::bfloat16::from_bits(0x7f7f); }
    static constexpr peso::bfloat16 min() { return peso::bfloat16::from_bits(0x0080); }
    static constexpr peso::bfloat16 epsilon() { return peso::bfloat16::from_bits(0x3c00); }  // 2^-7
    static constexpr peso::bfloat16 infinity() { return peso::bfloat16::from_bits(0x7f80); }
    static constexpr peso::bfloat16 quiet_NaN() { return peso::bfloat16::from_bits(0x7fc0); }
};
/// @endcond
