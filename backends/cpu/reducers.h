#pragma once
// The CPU backend's reduction vocabulary: a reducer is init() / step(acc, x) /
// merge(acc, acc) with a branch-free step, so that reduce_run's multi-lane
// loop vectorizes. Floating sums accumulate in double, integer sums in int64.
#include <cstdint>
#include <limits>
#include <type_traits>

#include "core/bfloat16.h"

namespace peso::cpu {

// bfloat16 counts as floating: it is read into float (Compute) and accumulated
// as float32 is, and only the result is rounded.
template <typename T> inline constexpr bool kIsFloat = std::is_floating_point_v<T> || std::is_same_v<T, bfloat16>;
template <typename T> using Compute = std::conditional_t<std::is_same_v<T, bfloat16>, float, T>;

// The type sums and products of T are accumulated in.
template <typename T> using WideAcc = std::conditional_t<kIsFloat<T>, double, std::int64_t>;

template <typename T> struct SumReducer {
    using Acc = WideAcc<T>;
    Acc init() const { return 0; }
    Acc step(Acc a, T x) const { return a + static_cast<Acc>(x); }
    Acc merge(Acc a, Acc b) const { return a + b; }
};

template <typename T> struct ProdReducer {
    using Acc = WideAcc<T>;
    Acc init() const { return 1; }
    Acc step(Acc a, T x) const { return a * static_cast<Acc>(x); }
    Acc merge(Acc a, Acc b) const { return a * b; }
};

// Sum of squared deviations from a fixed center (the second pass of a variance).
template <typename T> struct SquaredDeviationReducer {
    using Acc = double;
    double center;
    Acc init() const { return 0; }
    Acc step(Acc a, T x) const {
        const double d = static_cast<double>(x) - center;
        return a + d * d;
    }
    Acc merge(Acc a, Acc b) const { return a + b; }
};

// max (Max = true) or min; a NaN wins and then stays, as in PyTorch.
template <typename T, bool Max> struct ExtremeReducer {
    using Acc = Compute<T>;
    Acc init() const {
        if constexpr (kIsFloat<T>) {
            constexpr Acc inf = std::numeric_limits<Acc>::infinity();
            return Max ? -inf : inf;
        } else return Max ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
    }
    Acc step(Acc a, T x) const { return merge(a, static_cast<Acc>(x)); }
    Acc merge(Acc a, Acc x) const {
        const bool better = Max ? x > a : x < a;
        if constexpr (kIsFloat<T>) return better || x != x ? x : a;
        else return better ? x : a;
    }
};

// all (All = true) or any, of x != 0.
template <typename T, bool All> struct LogicalReducer {
    using Acc = std::uint8_t;
    Acc init() const { return All ? 1 : 0; }
    Acc step(Acc a, T x) const {
        const Acc v = x != T(0);
        return All ? (a & v) : (a | v);
    }
    Acc merge(Acc a, Acc b) const { return All ? (a & b) : (a | b); }
};

// Independent accumulators per run: enough to hide the add latency and fill
// two to four vector registers.
inline constexpr int kReduceLanes = 32;

// Folds n elements p[0], p[stride], ... into acc.
template <class R, typename T>
typename R::Acc reduce_run(const R& r, const T* p, std::int64_t stride, std::int64_t n, typename R::Acc acc) {
    using Acc = typename R::Acc;
    if (stride != 1) {
        for (std::int64_t i = 0; i < n; ++i) acc = r.step(acc, p[i * stride]);
        return acc;
    }
    std::int64_t i = 0;
    if (n >= kReduceLanes) {
        Acc lanes[kReduceLanes];
        for (int l = 0; l < kReduceLanes; ++l) lanes[l] = r.init();
        for (; i + kReduceLanes <= n; i += kReduceLanes) {
#pragma omp simd
            for (int l = 0; l < kReduceLanes; ++l) lanes[l] = r.step(lanes[l], p[i + l]);
        }
        for (int l = 0; l < kReduceLanes; ++l) acc = r.merge(acc, lanes[l]);
    }
    for (; i < n; ++i) acc = r.step(acc, p[i]);
    return acc;
}

}  // namespace peso::cpu
