#pragma once
// The value of element `index` of a random stream, shared by every backend so
// that one seed gives the same numbers everywhere.
#include <cmath>
#include <cstdint>

#include "backends/primitives.h"
#include "core/host_device.h"
#include "core/philox.h"

namespace peso {

template <typename T>
PESO_HD inline T random_value(RandomKind kind, std::uint64_t seed, std::uint64_t index, double a, double b) {
    switch (kind) {
        case RandomKind::uniform: {
            const double v = a + (b - a) * philox::uniform(seed, index);
            T r = static_cast<T>(v);
            if constexpr (std::is_floating_point_v<T>) {
                if (static_cast<double>(r) >= b && b > a) r = std::nextafter(static_cast<T>(b), static_cast<T>(a));
            }
            return r;
        }
        case RandomKind::normal: return static_cast<T>(a + b * philox::normal(seed, index));
        case RandomKind::integer: {
            const auto lo = static_cast<std::int64_t>(a);
            const auto range = static_cast<std::uint64_t>(static_cast<std::int64_t>(b) - lo);
            return static_cast<T>(lo + static_cast<std::int64_t>(philox::bits64(seed, index) % range));
        }
    }
    return T{};
}

}  // namespace peso
