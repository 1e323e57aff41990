#pragma once
// The CPU backend's elementwise driver: walks N strided arguments of equal
// sizes (already coalesced by the tensor layer) in row-major order, in
// parallel chunks, with a unit-stride fast path the compiler vectorizes.
#include <algorithm>
#include <array>
#include <cstdint>
#include <tuple>
#include <utility>

#include "backends/cpu/parallel.h"
#include "backends/tensor_arg.h"

namespace peso::cpu {

// Calls row(ptrs, inner_strides, count) for runs of consecutive elements along
// the innermost dim; ptrs[k] points (as char*) at arg k's first element of the run.
template <std::size_t N, typename RowFn>
void for_each_run(const std::array<const TensorArg*, N>& args, std::int64_t grain, RowFn&& row) {
    const TensorArg& ref = *args[0];
    const std::int64_t numel = ref.numel();
    if (numel == 0) return;
    const int nd = ref.dim();
    const std::int64_t inner = nd == 0 ? 1 : ref.sizes[nd - 1];
    std::array<std::int64_t, N> inner_stride{}, elem{};
    for (std::size_t k = 0; k < N; ++k) {
        inner_stride[k] = nd == 0 ? 0 : args[k]->strides[nd - 1];
        elem[k] = static_cast<std::int64_t>(itemsize(args[k]->dtype));
    }
    parallel_for(numel, grain, [&](std::int64_t begin, std::int64_t end) {
        std::int64_t pos = begin;
        while (pos < end) {
            std::int64_t r = pos / inner, c = pos % inner;
            const std::int64_t count = std::min(inner - c, end - pos);
            std::array<char*, N> ptrs;
            for (std::size_t k = 0; k < N; ++k) {
                std::int64_t off = c * inner_stride[k], rem = r;
                for (int d = nd - 2; d >= 0; --d) {
                    off += (rem % args[k]->sizes[d]) * args[k]->strides[d];
                    rem /= args[k]->sizes[d];
                }
                ptrs[k] = static_cast<char*>(args[k]->data) + off * elem[k];
            }
            row(ptrs, inner_stride, count);
            pos += count;
        }
    });
}

// Elements per block of the broadcast fast path below: small enough for the
// copies of broadcast values to stay in L1, large enough to amortize the loop.
constexpr std::int64_t kBroadcastBlock = 256;

// out[i] = f(in0[i], in1[i], ...) over equal-sized strided args.
template <typename O, typename... I, typename F>
void map(const TensorArg& out, std::int64_t grain, F&& f, const std::array<const TensorArg*, sizeof...(I)>& ins) {
    constexpr std::size_t N = sizeof...(I) + 1;
    std::array<const TensorArg*, N> args{&out};
    for (std::size_t k = 0; k < sizeof...(I); ++k) args[k + 1] = ins[k];
    for_each_run<N>(args, grain, [&](const std::array<char*, N>& p, const std::array<std::int64_t, N>& s,
                                     std::int64_t n) {
        O* __restrict o = reinterpret_cast<O*>(p[0]);
        bool unit = s[0] == 1, unit_or_broadcast = s[0] == 1;
        for (std::size_t k = 1; k < N; ++k) {
            unit = unit && s[k] == 1;
            unit_or_broadcast = unit_or_broadcast && (s[k] == 1 || s[k] == 0);
        }
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            std::tuple<const I*...> in{reinterpret_cast<const I*>(p[K + 1])...};
            if (unit) {
#pragma omp simd
                for (std::int64_t i = 0; i < n; ++i) o[i] = static_cast<O>(f(std::get<K>(in)[i]...));
            } else if (unit_or_broadcast) {
                // An input repeated along the run (stride 0: a per-row scale,
                // a scalar operand) is copied into a block-sized buffer once,
                // so that every block runs the same vectorized unit-stride loop.
                std::tuple<std::array<I, kBroadcastBlock>...> held;
                ((s[K + 1] == 0 ? std::get<K>(held).fill(std::get<K>(in)[0]) : void()), ...);
                for (std::int64_t b = 0; b < n; b += kBroadcastBlock) {
                    const std::int64_t m = std::min(kBroadcastBlock, n - b);
                    std::tuple<const I*...> blk{(s[K + 1] == 0 ? std::get<K>(held).data() : std::get<K>(in) + b)...};
                    O* __restrict ob = o + b;
#pragma omp simd
                    for (std::int64_t i = 0; i < m; ++i) ob[i] = static_cast<O>(f(std::get<K>(blk)[i]...));
                }
            } else {
                for (std::int64_t i = 0; i < n; ++i)
                    o[i * s[0]] = static_cast<O>(f(std::get<K>(in)[i * s[K + 1]]...));
            }
        }(std::index_sequence_for<I...>{});
    });
}

}  // namespace peso::cpu
