// CPU sort, topk and cumsum over contiguous rows, parallel over rows.
// Sorting maps each value to an unsigned key whose integer order is the
// value order with NaN above everything (as PyTorch), and sorts (key, index)
// entries: the index tie-break makes every sort used here (radix, std::sort,
// std::partial_sort) stable, so results match the reference backend's
// std::stable_sort exactly.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include "backends/bf16_host.h"
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

// What gets sorted: (key, position), compared key first. Types of at most 32
// bits pack both into one 64-bit word (cheaper to compare and move).
struct PackedEntry {
    using Type = std::uint64_t;
    static Type make(std::uint64_t key, std::int64_t i) { return (key << 32) | static_cast<std::uint64_t>(i); }
    static std::int64_t position(Type e) { return static_cast<std::int64_t>(e & 0xFFFFFFFFu); }
};
struct PairEntry {
    using Type = std::pair<std::uint64_t, std::int64_t>;
    static Type make(std::uint64_t key, std::int64_t i) { return {key, i}; }
    static std::int64_t position(const Type& e) { return e.second; }
};

// Stable LSD radix sort of packed entries by their high 32 bits (the key):
// the entries start in position order, so equal keys stay in position order
// and the result equals std::sort's on the whole words, several times faster.
void radix_sort_keys(std::vector<std::uint64_t>& a, std::vector<std::uint64_t>& scratch) {
    scratch.resize(a.size());
    for (int shift = 32; shift < 64; shift += 8) {
        std::size_t offset[256] = {};
        for (const std::uint64_t e : a) ++offset[(e >> shift) & 0xFF];
        if (offset[(a[0] >> shift) & 0xFF] == a.size()) continue;  // one digit value: nothing moves
        std::size_t sum = 0;
        for (std::size_t& o : offset) sum += std::exchange(o, sum);
        for (const std::uint64_t e : a) scratch[offset[(e >> shift) & 0xFF]++] = e;
        a.swap(scratch);
    }
}

template <class E> void sort_entries(std::vector<typename E::Type>& entries, std::vector<typename E::Type>& scratch) {
    if constexpr (std::is_same_v<E, PackedEntry>) {
        if (entries.size() >= 256) return radix_sort_keys(entries, scratch);
    }
    std::sort(entries.begin(), entries.end());
}

// Sorts the first k entries of every row into place (all of them when k == n)
// and writes them out; descending order complements the keys.
template <typename T, class E>
void ordered_rows_typed(const TensorArg& values, const TensorArg& indices, const TensorArg& in, std::int64_t k,
                        bool descending) {
    const std::int64_t rows = in.sizes[0], n = in.sizes[1];
    const int key_bits = sizeof(T) <= 4 ? 32 : 64;
    const std::uint64_t flip = key_bits == 32 ? 0xFFFFFFFFu : ~std::uint64_t{0};
    const std::int64_t grain = std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(n, 1));
    cpu::parallel_for(rows, grain, [&](std::int64_t b, std::int64_t e) {
        std::vector<typename E::Type> entries(static_cast<std::size_t>(n)), scratch;
        for (std::int64_t r = b; r < e; ++r) {
            const T* x = in.ptr<T>() + r * n;
            for (std::int64_t i = 0; i < n; ++i) {
                const std::uint64_t key = order_key(x[i]);
                entries[static_cast<std::size_t>(i)] = E::make(descending ? key ^ flip : key, i);
            }
            if (k == n) sort_entries<E>(entries, scratch);
            else std::partial_sort(entries.begin(), entries.begin() + k, entries.end());
            T* v = values.ptr<T>() + r * k;
            std::int64_t* ix = indices.ptr<std::int64_t>() + r * k;
            for (std::int64_t i = 0; i < k; ++i) {
                ix[i] = E::position(entries[static_cast<std::size_t>(i)]);
                v[i] = x[ix[i]];
            }
        }
    });
}

void ordered_rows(const TensorArg& values, const TensorArg& indices, const TensorArg& in, std::int64_t k,
                  bool descending, const char* op) {
    visit_dtype(in.dtype, op, [&](auto tag) {
        using T = typename decltype(tag)::type;
        if (sizeof(T) <= 4 && in.sizes[1] <= (std::int64_t{1} << 32))
            ordered_rows_typed<T, PackedEntry>(values, indices, in, k, descending);
        else
            ordered_rows_typed<T, PairEntry>(values, indices, in, k, descending);
    });
}

}  // namespace

void CpuBackend::sort(const TensorArg& values, const TensorArg& indices, const TensorArg& in, bool descending) {
    if (bf16::any(values, in)) {  // the float32 kernel on widened copies (bf16_host.h)
        const bf16::Widened w_values(*this, values, bf16::Widened::Role::out),
              w_in(*this, in, bf16::Widened::Role::in);
        return sort(w_values, indices, w_in, descending);
    }
    ordered_rows(values, indices, in, in.sizes[1], descending, "sort");
}

void CpuBackend::topk(const TensorArg& values, const TensorArg& indices, const TensorArg& in, std::int64_t k,
                      bool largest) {
    if (bf16::any(values, in)) {  // the float32 kernel on widened copies (bf16_host.h)
        const bf16::Widened w_values(*this, values, bf16::Widened::Role::out),
              w_in(*this, in, bf16::Widened::Role::in);
        return topk(w_values, indices, w_in, k, largest);
    }
    ordered_rows(values, indices, in, k, largest, "topk");
}

void CpuBackend::cumsum(const TensorArg& out, const TensorArg& in) {
    if (bf16::any(out, in)) {  // the float32 kernel on widened copies (bf16_host.h)
        const bf16::Widened w_out(*this, out, bf16::Widened::Role::out),
              w_in(*this, in, bf16::Widened::Role::in);
        return cumsum(w_out, w_in);
    }
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
