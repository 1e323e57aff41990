#pragma once
// Random test inputs in every memory layout a kernel must handle: contiguous,
// transposed, strided (sliced with a step), broadcast (expanded) and
// offset into a larger storage. Deterministic: all numbers come from a seeded
// peso::Generator, so every backend sees the same inputs.
#include <string>
#include <string_view>

#include "peso.h"

namespace peso::testing {

enum class Layout { contiguous, transposed, strided, broadcast, offset };

inline std::string_view layout_name(Layout l) {
    switch (l) {
        case Layout::contiguous: return "contiguous";
        case Layout::transposed: return "transposed";
        case Layout::strided: return "strided";
        case Layout::broadcast: return "broadcast";
        case Layout::offset: return "offset";
    }
    return "?";
}

inline constexpr Layout kAllLayouts[] = {Layout::contiguous, Layout::transposed, Layout::strided, Layout::broadcast,
                                         Layout::offset};

// Values of the given dtype: floats ~ U[lo, hi), ints in [lo, hi), bools 50/50.
inline Tensor random_values(const Dims& shape, DType dtype, Generator& gen, double lo = -2.0, double hi = 2.0) {
    if (dtype == DType::b8) return lt(rand(shape, TensorOptions(DType::f32), &gen), 0.5);
    if (is_floating(dtype)) {
        Tensor t = empty(shape, TensorOptions(dtype));
        return uniform_(t, lo, hi, &gen);
    }
    return randint(static_cast<std::int64_t>(lo), static_cast<std::int64_t>(hi), shape, TensorOptions(dtype), &gen);
}

// A tensor of `shape` whose memory layout is `layout`, on `device`. The values
// are drawn on the cpu, so that every device gets the same ones.
inline Tensor random_tensor(const Dims& shape, DType dtype, Layout layout, Generator& gen, double lo = -2.0,
                            double hi = 2.0, Device device = Device::cpu()) {
    const int n = shape.size();
    auto random_values = [&](const Dims& s, DType t, Generator& g, double l, double h) {
        return peso::testing::random_values(s, t, g, l, h).to(device);
    };
    switch (layout) {
        case Layout::contiguous: return random_values(shape, dtype, gen, lo, hi);
        case Layout::transposed: {
            if (n < 2) return random_values(shape, dtype, gen, lo, hi);
            Dims rev;
            for (int i = n - 1; i >= 0; --i) rev.push_back(shape[i]);
            Dims order;
            for (int i = n - 1; i >= 0; --i) order.push_back(i);
            return random_values(rev, dtype, gen, lo, hi).permute(order);
        }
        case Layout::strided: {
            if (n == 0) return random_values(shape, dtype, gen, lo, hi);
            Dims big = shape;
            big[n - 1] = shape[n - 1] * 2;
            return random_values(big, dtype, gen, lo, hi).slice(n - 1, 0, std::nullopt, 2);
        }
        case Layout::broadcast: {
            // Size-1 leading dim expanded; the rest random.
            if (n == 0) return random_values(shape, dtype, gen, lo, hi);
            Dims small = shape;
            small[0] = 1;
            return random_values(small, dtype, gen, lo, hi).expand(shape);
        }
        case Layout::offset: {
            Dims big = shape;
            if (n == 0) return random_values({3}, dtype, gen, lo, hi).select(0, 1);
            big[0] = shape[0] + 3;
            return random_values(big, dtype, gen, lo, hi).narrow(0, 2, shape[0]);
        }
    }
    return {};
}

// A random shape of `ndim` dims with sizes in [lo, hi].
inline Dims random_shape(int ndim, Generator& gen, std::int64_t lo = 1, std::int64_t hi = 6) {
    const auto v = randint(lo, hi + 1, {ndim}, {}, &gen).to_vector<std::int64_t>();
    return Dims(v);
}

}  // namespace peso::testing
