#pragma once
// bfloat16 on the host backends (cpu, reference): the type kernels compute
// in, random numbers, and the float32 route for primitives without a native
// bf16 kernel. That route widens each bf16 argument into a float32 copy
// (exact), runs the float32 kernel and rounds the outputs back once: the
// same numbers a kernel that reads bf16, computes in float32 and rounds when
// storing would give (a float32 result rounded to bf16 differs from the
// infinitely precise one rounded to bf16 only when the float32 result lands
// exactly halfway between two bf16 numbers).
#include <cmath>
#include <cstdint>
#include <algorithm>
#include <memory>
#include <type_traits>

#include "backends/backend.h"
#include "backends/random_fn.h"
#include "core/bfloat16.h"

namespace peso::bf16 {

/// The type a kernel computes in for storage type T: float for bfloat16.
template <typename T> using compute_t = std::conditional_t<std::is_same_v<T, bfloat16>, float, T>;

/// Element `index` of a random stream in bfloat16: the float32 value rounded;
/// a uniform draw that rounds up to b (excluded) becomes the bf16 below b.
inline bfloat16 random_value(RandomKind kind, std::uint64_t seed, std::uint64_t index, double a, double b) {
    bfloat16 r(peso::random_value<float>(kind, seed, index, a, b));
    if (kind == RandomKind::uniform && b > a && static_cast<double>(static_cast<float>(r)) >= b) {
        const bfloat16 top(static_cast<float>(b));
        const bool up = static_cast<double>(static_cast<float>(top)) >= b;  // rounding went up (or exact)
        const std::uint16_t mag = top.bits & 0x7fffu;
        if (!up) r = top;
        else if (mag == 0) r = bfloat16::from_bits(0x8001u);       // below +-0: the smallest negative subnormal
        else r = bfloat16::from_bits(top.bits & 0x8000u ? top.bits + 1 : top.bits - 1);  // one step toward -inf
    }
    return r;
}

/// Whether any of the arguments is bfloat16.
template <typename... A> bool any(const A&... args) { return ((args.dtype == DType::bf16) || ...); }

/// One argument of a primitive on the float32 route: a bfloat16 argument is
/// replaced by a contiguous float32 copy (filled for inputs, written back
/// rounded for outputs when this object dies); other arguments pass as they are.
class Widened {
public:
    enum class Role { in, out, inout };

    Widened(Backend& backend, const TensorArg& arg, Role role) : backend_(backend), orig_(arg), arg_(arg), role_(role) {
        if (arg.dtype != DType::bf16 || !arg.defined() || arg.data == nullptr) return;
        buffer_.reset(new float[static_cast<std::size_t>(std::max<std::int64_t>(arg.numel(), 1))]);
        arg_.data = buffer_.get();
        arg_.dtype = DType::f32;
        arg_.strides = contiguous_strides(arg.sizes);
        if (role != Role::out) backend_.copy(arg_, orig_);
    }
    ~Widened() {
        if (buffer_ && role_ != Role::in) backend_.copy(orig_, arg_);
    }
    Widened(const Widened&) = delete;
    Widened& operator=(const Widened&) = delete;

    operator const TensorArg&() const { return arg_; }  // NOLINT: passed straight to the float32 kernel

private:
    Backend& backend_;
    TensorArg orig_, arg_;
    Role role_;
    std::unique_ptr<float[]> buffer_;
};

}  // namespace peso::bf16
