#include "core/bfloat16.h"
#include "backends/cpu/transpose_copy.h"

#include <algorithm>

#include "backends/cpu/parallel.h"

namespace peso::cpu {

namespace {

constexpr std::int64_t kTile = 32;

template <typename D, typename S>
void tiled_copy(const TensorArg& dst, const TensorArg& src, int k) {
    const int nd = dst.dim(), last = nd - 1;
    const std::int64_t rows = dst.sizes[k], cols = dst.sizes[last];
    const std::int64_t tiles_r = (rows + kTile - 1) / kTile, tiles_c = (cols + kTile - 1) / kTile;
    const std::int64_t outer = dst.numel() / std::max<std::int64_t>(rows * cols, 1);
    const std::int64_t d_rs = dst.strides[k], s_cs = src.strides[last];
    parallel_for(outer * tiles_r * tiles_c, 16, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t w = begin; w < end; ++w) {
            const std::int64_t tc = w % tiles_c, tr = (w / tiles_c) % tiles_r;
            std::int64_t o = w / (tiles_c * tiles_r), d_off = 0, s_off = 0;
            for (int d = nd - 1; d >= 0; --d) {
                if (d == k || d == last) continue;
                d_off += (o % dst.sizes[d]) * dst.strides[d];
                s_off += (o % dst.sizes[d]) * src.strides[d];
                o /= dst.sizes[d];
            }
            D* dp = dst.ptr<D>() + d_off;
            const S* sp = src.ptr<S>() + s_off;
            const std::int64_t r1 = std::min(rows, (tr + 1) * kTile), c1 = std::min(cols, (tc + 1) * kTile);
            for (std::int64_t r = tr * kTile; r < r1; ++r)
                for (std::int64_t c = tc * kTile; c < c1; ++c) dp[r * d_rs + c] = static_cast<D>(sp[r + c * s_cs]);
        }
    });
}

}  // namespace

bool try_tiled_transpose_copy(const TensorArg& dst, const TensorArg& src) {
    const int nd = dst.dim();
    // Same dtype (bytes moved), or float32 <-> bfloat16 (converted on the way).
    const bool narrow = dst.dtype == DType::bf16 && src.dtype == DType::f32;
    const bool widen = dst.dtype == DType::f32 && src.dtype == DType::bf16;
    if (nd < 2 || (dst.dtype != src.dtype && !narrow && !widen) || dst.strides[nd - 1] != 1 ||
        src.strides[nd - 1] < kTile)
        return false;
    int k = -1;
    for (int d = nd - 2; d >= 0; --d)
        if (src.strides[d] == 1 && dst.sizes[d] >= kTile / 4) { k = d; break; }
    if (k < 0 || dst.sizes[nd - 1] < kTile / 4) return false;
    if (narrow) return tiled_copy<bfloat16, float>(dst, src, k), true;
    if (widen) return tiled_copy<float, bfloat16>(dst, src, k), true;
    switch (itemsize(dst.dtype)) {
        case 4: tiled_copy<std::uint32_t, std::uint32_t>(dst, src, k); return true;
        case 8: tiled_copy<std::uint64_t, std::uint64_t>(dst, src, k); return true;
        case 2: tiled_copy<std::uint16_t, std::uint16_t>(dst, src, k); return true;
        case 1: tiled_copy<std::uint8_t, std::uint8_t>(dst, src, k); return true;
        default: return false;
    }
}

}  // namespace peso::cpu
