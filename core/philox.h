#pragma once
// Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
// SC'11): a counter-based generator. The i-th block of four 32-bit numbers is a
// pure function of (key, counter = i), so any thread — or any device — can
// produce element i without knowing what came before it.
#include <array>
#include <cmath>
#include <cstdint>

#include "core/host_device.h"

namespace peso::philox {

using Block = std::array<std::uint32_t, 4>;

PESO_HD constexpr Block round_fn(Block c, std::uint32_t k0, std::uint32_t k1) {
    constexpr std::uint64_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u;
    const std::uint64_t p0 = M0 * c[0];
    const std::uint64_t p1 = M1 * c[2];
    return {static_cast<std::uint32_t>(p1 >> 32) ^ c[1] ^ k0, static_cast<std::uint32_t>(p1),
            static_cast<std::uint32_t>(p0 >> 32) ^ c[3] ^ k1, static_cast<std::uint32_t>(p0)};
}

// Four random 32-bit words for (seed, counter).
PESO_HD constexpr Block generate(std::uint64_t seed, std::uint64_t counter) {
    Block c{static_cast<std::uint32_t>(counter), static_cast<std::uint32_t>(counter >> 32), 0u, 0u};
    std::uint32_t k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
    for (int r = 0; r < 10; ++r) {
        c = round_fn(c, k0, k1);
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    return c;
}

// A float in [0, 1) from the top 24 bits / a double from 53 bits.
PESO_HD inline float to_unit_float(std::uint32_t x) { return static_cast<float>(x >> 8) * (1.0f / 16777216.0f); }
PESO_HD inline double to_unit_double(std::uint32_t hi, std::uint32_t lo) {
    const std::uint64_t v = (static_cast<std::uint64_t>(hi) << 21) ^ (lo >> 11);
    return static_cast<double>(v & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
}

// Element i of a stream: uniform in [0,1) in double precision, from the
// block of counter (offset + i). Two words of the block feed each draw.
PESO_HD inline double uniform(std::uint64_t seed, std::uint64_t index) {
    const Block b = generate(seed, index);
    return to_unit_double(b[0], b[1]);
}

// Element i of a standard normal stream (Box-Muller on the block of counter i).
PESO_HD inline double normal(std::uint64_t seed, std::uint64_t index) {
    const Block b = generate(seed, index);
    const double u1 = 1.0 - to_unit_double(b[0], b[1]);  // (0, 1]: log is finite
    const double u2 = to_unit_double(b[2], b[3]);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586476925 * u2);
}

// Element i of a stream of 64-bit words.
PESO_HD inline std::uint64_t bits64(std::uint64_t seed, std::uint64_t index) {
    const Block b = generate(seed, index);
    return (static_cast<std::uint64_t>(b[0]) << 32) | b[1];
}

}  // namespace peso::philox
