// CPU sort, topk and cumsum over contiguous rows, parallel over rows.
// Sorting maps each value to an unsigned key whose integer order is the
// value order with NaN above everything (as PyTorch), and sorts (key, index)
// pairs: the index tie-break makes std::sort / std::partial_sort stable, so
// results match the reference backend's std::stable_sort exactly.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/parallel.h"

namespace peso {

namespace {

// Order-preserving key: a < b (NaN largest, -0 == +0) iff key(a) < key(b).
template <typename T> std::uint64_t order_key(T x) {
    if constexpr (std::is_same_v<T, bool>) {
        return x ? 1u : 0u;
    } else if constexpr (std::is_integral_v<T>) {
        using U = std::make_unsigned_t<T>;
        return static_cast<std::uint64_t>(static_cast<U>(x) ^ (U{1} << (sizeof(T) * 8 - 1)));
    } else {
        using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
        constexpr U sign = U{1} << (sizeof(T) * 8 - 1);
        if (std::isnan(x)) return static_cast<std::uint64_t>(~U{0});
        const U bits = std::bit_cast<U>(x == 0 ? T(0) : x);  // one key for -0 and +0
        return static_cast<std::uint64_t>((bits & sign) ? ~bits : (bits | sign));
    }
}

using Entry = std::pair<std::uint64_t, std::int64_t>;  // (key, position)

// Fills `entries` with row x's keys (complemented when descending, so that
// ascending key order is the wanted order) and positions.
template <typename T> void make_entries(std::vector<Entry>& entries, const T* x, std::int64_t n, bool descending) {
    entries.resize(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
        const std::uint64_t k = order_key(x[i]);
        entries[static_cast<std::size_t>(i)] = {descending ? ~k : k, i};
    }
}

// Sorts the first k entries of every row into place (all of them when k == n)
// and writes them out.
void ordered_rows(const TensorArg& values, const TensorArg& indices, const TensorArg& in, std::int64_t k,
                  bool descending, const char* op) {
    visit_dtype(in.dtype, op, [&](auto tag) {
        using T = typename decltype(tag)::type;
        const std::int64_t rows = in.sizes[0], n = in.sizes[1];
        const std::int64_t grain = std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(n, 1));
        cpu::parallel_for(rows, grain, [&](std::int64_t b, std::int64_t e) {
            std::vector<Entry> entries;
            for (std::int64_t r = b; r < e; ++r) {
                const T* x = in.ptr<T>() + r * n;
                make_entries(entries, x, n, descending);
                if (k == n) std::sort(entries.begin(), entries.end());
                else std::partial_sort(entries.begin(), entries.begin() + k, entries.end());
                T* v = values.ptr<T>() + r * k;
                std::int64_t* ix = indices.ptr<std::int64_t>() + r * k;
                for (std::int64_t i = 0; i < k; ++i) {
                    ix[i] = entries[static_cast<std::size_t>(i)].second;
                    v[i] = x[ix[i]];
                }
            }
        });
    });
}

}  // namespace

void CpuBackend::sort(const TensorArg& values, const TensorArg& indices, const TensorArg& in, bool descending) {
    ordered_rows(values, indices, in, in.sizes[1], descending, "sort");
}

void CpuBackend::topk(const TensorArg& values, const TensorArg& indices, const TensorArg& in, std::int64_t k,
                      bool largest) {
    ordered_rows(values, indices, in, k, largest, "topk");
}

void CpuBackend::cumsum(const TensorArg& out, const TensorArg& in) {
    visit_dtype(in.dtype, "cumsum", [&](auto tag) {
        using T = typename decltype(tag)::type;
        // Floating sums run in double (as PyTorch's CPU kernel), integers in int64.
        using Acc = std::conditional_t<std::is_floating_point_v<T>, double, std::int64_t>;
        using O = std::conditional_t<std::is_floating_point_v<T>, T, std::int64_t>;
        const std::int64_t rows = in.sizes[0], n = in.sizes[1];
        const std::int64_t grain = std::max<std::int64_t>(1, cpu::kParallelGrain / std::max<std::int64_t>(n, 1));
        cpu::parallel_for(rows, grain, [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t r = b; r < e; ++r) {
                const T* x = in.ptr<T>() + r * n;
                O* y = out.ptr<O>() + r * n;
                Acc acc = 0;
                for (std::int64_t i = 0; i < n; ++i) {
                    acc += static_cast<Acc>(x[i]);
                    y[i] = static_cast<O>(acc);
                }
            }
        });
    });
}

}  // namespace peso
