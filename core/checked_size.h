#pragma once
// Overflow-checked arithmetic for element counts and byte sizes. Every size
// that comes from a user or a file (a shape, a flag, a header) goes through
// these before anything is allocated: a product that wraps around would
// allocate a small block and then write far past it. A size that does not fit
// throws ValueError naming `what` (the op, flag or file) and the numbers.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string_view>

#include "core/error.h"

namespace peso {

// a * b for non-negative counts; throws when it exceeds int64.
inline std::int64_t checked_mul(std::int64_t a, std::int64_t b, std::string_view what) {
    std::int64_t r = 0;
    PESO_CHECK(a >= 0 && b >= 0 && !__builtin_mul_overflow(a, b, &r), ValueError,
               "{}: size {} x {} overflows a 64-bit count", what, a, b);
    return r;
}

inline std::int64_t checked_add(std::int64_t a, std::int64_t b, std::string_view what) {
    std::int64_t r = 0;
    PESO_CHECK(a >= 0 && b >= 0 && !__builtin_add_overflow(a, b, &r), ValueError,
               "{}: size {} + {} overflows a 64-bit count", what, a, b);
    return r;
}

// The product of several non-negative counts (e.g. --batch x --grad-accum x --block-size).
inline std::int64_t checked_product(std::initializer_list<std::int64_t> factors, std::string_view what) {
    std::int64_t p = 1;
    for (const std::int64_t f : factors) p = checked_mul(p, f, what);
    return p;
}

// numel elements of `itemsize` bytes as a byte count that fits both int64 and
// size_t (and so any allocator and file offset).
inline std::size_t checked_nbytes(std::int64_t numel, std::size_t itemsize, std::string_view what) {
    const std::int64_t n = checked_mul(numel, static_cast<std::int64_t>(itemsize), what);
    static_assert(std::numeric_limits<std::size_t>::max() >= std::numeric_limits<std::int64_t>::max());
    return static_cast<std::size_t>(n);
}

// The same for unsigned quantities read from files (offsets, lengths).
inline std::uint64_t checked_mul_u64(std::uint64_t a, std::uint64_t b, std::string_view what) {
    std::uint64_t r = 0;
    PESO_CHECK(!__builtin_mul_overflow(a, b, &r), ValueError, "{}: size {} x {} overflows 64 bits", what, a, b);
    return r;
}

}  // namespace peso
