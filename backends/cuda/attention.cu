// Fused attention: a straightforward tiled version of FlashAttention. One
// thread per query (forward, dq) or per key (dk, dv); tiles of keys or
// queries are staged through shared memory by the whole block; the softmax is
// online (running max and sum per query), and only each query's log-sum-exp
// is stored. The backward recomputes the weights from it, and the dropout mask
// from its Philox counters, in two kernels (dk and dv per key, dq per query)
// after one that computes delta = rowsum(dout * out) per query. Blocks of keys
// wholly after a causal block of queries are not visited.
#include <cmath>
#include <cstdint>
#include <limits>

#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/device_guard.h"
#include "backends/cuda/kernel_layout.cuh"
#include "backends/cuda/launch.h"
#include "backends/cuda/scratch.h"
#include "backends/cuda/stream.h"

PESO_CUDA_NAMESPACE_BEGIN

namespace {

// The sizes and operands every kernel reads, passed by value.
template <class T>
struct AttentionArgs {
    std::int64_t H, T_, S, E, Ev;
    AttentionOperand<const T> q, k, v;
    AttentionParams p;
    T keep_scale;
    int tile;  // rows of a shared-memory tile, and threads per block
};

__device__ __forceinline__ std::int64_t min64(std::int64_t a, std::int64_t b) { return a < b ? a : b; }

template <class T>
__device__ __forceinline__ T dot(const T* a, const T* b, std::int64_t n) {
    T s = 0;
    for (std::int64_t e = 0; e < n; ++e) s += a[e] * b[e];
    return s;
}

// The dropout factor of weight (i, j) of head bh.
template <class T>
__device__ __forceinline__ T keep_factor(const AttentionArgs<T>& a, std::int64_t bh, std::int64_t i, std::int64_t j) {
    if (a.p.dropout_p == 0.0) return T(1);
    const std::uint64_t counter = attention_counter(a.p, bh, i, j, a.T_, a.S);
    return attention_keeps<T>(a.p.seed, counter, a.p.dropout_p) ? a.keep_scale : T(0);
}

// Copies rows [r0, r0 + n) of a head (row stride ld, `cols` wide) into a
// dense shared tile, the whole block sharing the work.
template <class T>
__device__ void stage_rows(T* tile, const T* head, std::int64_t ld, std::int64_t r0, std::int64_t n,
                           std::int64_t cols) {
    for (std::int64_t x = threadIdx.x; x < n * cols; x += blockDim.x)
        tile[x] = head[(r0 + x / cols) * ld + x % cols];
}

// Grid: one block per (head, tile of queries), blockIdx.x = bh * tiles + tile.
template <class T>
__global__ void attention_forward_kernel(AttentionArgs<T> a, AttentionOperand<T> out, T* lse) {
    const std::int64_t tiles = (a.T_ + a.tile - 1) / a.tile, bh = blockIdx.x / tiles;
    const std::int64_t i0 = (blockIdx.x % tiles) * a.tile, t = threadIdx.x, i = i0 + t;
    const std::int64_t b = bh / a.H, h = bh % a.H;
    T* qs = dynamic_shared<T>();       // tile x E: the block's queries
    T* acc = qs + a.tile * a.E;        // tile x Ev: their unnormalized outputs
    T* ks = acc + a.tile * a.Ev;       // tile x E: a tile of keys
    T* vs = ks + a.tile * a.E;         // tile x Ev: their values
    const std::int64_t rows = min64(a.tile, a.T_ - i0);
    stage_rows(qs, a.q.head(b, h), a.q.row_stride, i0, rows, a.E);
    for (std::int64_t e = 0; e < a.Ev; ++e) acc[t * a.Ev + e] = T(0);
    T mx = -std::numeric_limits<T>::infinity(), sum = 0;
    const std::int64_t kend = a.p.causal ? min64(a.S, i0 + rows) : a.S;
    for (std::int64_t j0 = 0; j0 < kend; j0 += a.tile) {
        const std::int64_t n = min64(a.tile, kend - j0);
        __syncthreads();  // the previous tile is no longer read
        stage_rows(ks, a.k.head(b, h), a.k.row_stride, j0, n, a.E);
        stage_rows(vs, a.v.head(b, h), a.v.row_stride, j0, n, a.Ev);
        __syncthreads();
        if (i >= a.T_) continue;
        const std::int64_t visible = a.p.causal ? min64(n, i - j0 + 1) : n;
        for (std::int64_t jj = 0; jj < visible; ++jj) {
            const T s = dot(qs + t * a.E, ks + jj * a.E, a.E) * static_cast<T>(a.p.scale);
            const T m_new = s > mx ? s : mx;
            const T alpha = std::exp(mx - m_new), e_s = std::exp(s - m_new);
            sum = sum * alpha + e_s;
            mx = m_new;
            const T w = e_s * keep_factor(a, bh, i, j0 + jj);
            T* o = acc + t * a.Ev;
            for (std::int64_t e = 0; e < a.Ev; ++e) o[e] = o[e] * alpha + w * vs[jj * a.Ev + e];
        }
    }
    if (i >= a.T_) return;
    T* o = out.head(b, h) + i * out.row_stride;
    for (std::int64_t e = 0; e < a.Ev; ++e) o[e] = acc[t * a.Ev + e] / sum;
    lse[bh * a.T_ + i] = mx + std::log(sum);
}

// delta[bh, i] = dout[i] . out[i], one thread per query.
template <class T>
__global__ void attention_delta_kernel(AttentionArgs<T> a, AttentionOperand<const T> dout,
                                       AttentionOperand<const T> out, T* delta, std::int64_t queries) {
    for (std::int64_t x = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; x < queries;
         x += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
        const std::int64_t bh = x / a.T_, i = x % a.T_, b = bh / a.H, h = bh % a.H;
        delta[x] = dot(dout.head(b, h) + i * dout.row_stride, out.head(b, h) + i * out.row_stride, a.Ev);
    }
}

// One thread per key: its dk and dv over every query that sees it.
template <class T>
__global__ void attention_dkdv_kernel(AttentionArgs<T> a, AttentionOperand<const T> dout, const T* lse,
                                      const T* delta, AttentionOperand<T> dk, AttentionOperand<T> dv) {
    const std::int64_t tiles = (a.S + a.tile - 1) / a.tile, bh = blockIdx.x / tiles;
    const std::int64_t j0 = (blockIdx.x % tiles) * a.tile, t = threadIdx.x, j = j0 + t;
    const std::int64_t b = bh / a.H, h = bh % a.H, E = a.E, Ev = a.Ev;
    T* ks = dynamic_shared<T>();  // tile x E: the block's keys
    T* vs = ks + a.tile * E;      // tile x Ev: their values
    T* gk = vs + a.tile * Ev;     // tile x E: their dk (without the scale)
    T* gv = gk + a.tile * E;      // tile x Ev: their dv
    T* qs = gv + a.tile * Ev;     // tile x E: a tile of queries
    T* gs = qs + a.tile * E;      // tile x Ev: their dout
    const std::int64_t keys = min64(a.tile, a.S - j0);
    stage_rows(ks, a.k.head(b, h), a.k.row_stride, j0, keys, E);
    stage_rows(vs, a.v.head(b, h), a.v.row_stride, j0, keys, Ev);
    for (std::int64_t e = 0; e < E; ++e) gk[t * E + e] = T(0);
    for (std::int64_t e = 0; e < Ev; ++e) gv[t * Ev + e] = T(0);
    const std::int64_t first = a.p.causal ? j0 : 0;
    for (std::int64_t i0 = first; i0 < a.T_; i0 += a.tile) {
        const std::int64_t n = min64(a.tile, a.T_ - i0);
        __syncthreads();
        stage_rows(qs, a.q.head(b, h), a.q.row_stride, i0, n, E);
        stage_rows(gs, dout.head(b, h), dout.row_stride, i0, n, Ev);
        __syncthreads();
        if (j >= a.S) continue;
        for (std::int64_t ii = 0; ii < n; ++ii) {
            const std::int64_t i = i0 + ii;
            if (a.p.causal && i < j) continue;
            const T p = std::exp(dot(qs + ii * E, ks + t * E, E) * static_cast<T>(a.p.scale) - lse[bh * a.T_ + i]);
            const T keep = keep_factor(a, bh, i, j);
            const T ds = p * (dot(gs + ii * Ev, vs + t * Ev, Ev) * keep - delta[bh * a.T_ + i]);
            for (std::int64_t e = 0; e < Ev; ++e) gv[t * Ev + e] += p * keep * gs[ii * Ev + e];
            for (std::int64_t e = 0; e < E; ++e) gk[t * E + e] += ds * qs[ii * E + e];
        }
    }
    if (j >= a.S) return;
    T* dkj = dk.head(b, h) + j * dk.row_stride;
    T* dvj = dv.head(b, h) + j * dv.row_stride;
    for (std::int64_t e = 0; e < E; ++e) dkj[e] = gk[t * E + e] * static_cast<T>(a.p.scale);
    for (std::int64_t e = 0; e < Ev; ++e) dvj[e] = gv[t * Ev + e];
}

// One thread per query: its dq over the keys it sees.
template <class T>
__global__ void attention_dq_kernel(AttentionArgs<T> a, AttentionOperand<const T> dout, const T* lse,
                                    const T* delta, AttentionOperand<T> dq) {
    const std::int64_t tiles = (a.T_ + a.tile - 1) / a.tile, bh = blockIdx.x / tiles;
    const std::int64_t i0 = (blockIdx.x % tiles) * a.tile, t = threadIdx.x, i = i0 + t;
    const std::int64_t b = bh / a.H, h = bh % a.H, E = a.E, Ev = a.Ev;
    T* qs = dynamic_shared<T>();  // tile x E: the block's queries
    T* gs = qs + a.tile * E;      // tile x Ev: their dout
    T* gq = gs + a.tile * Ev;     // tile x E: their dq (without the scale)
    T* ks = gq + a.tile * E;      // tile x E: a tile of keys
    T* vs = ks + a.tile * E;      // tile x Ev: their values
    const std::int64_t rows = min64(a.tile, a.T_ - i0);
    stage_rows(qs, a.q.head(b, h), a.q.row_stride, i0, rows, E);
    stage_rows(gs, dout.head(b, h), dout.row_stride, i0, rows, Ev);
    for (std::int64_t e = 0; e < E; ++e) gq[t * E + e] = T(0);
    const T l = i < a.T_ ? lse[bh * a.T_ + i] : T(0), d = i < a.T_ ? delta[bh * a.T_ + i] : T(0);
    const std::int64_t kend = a.p.causal ? min64(a.S, i0 + rows) : a.S;
    for (std::int64_t j0 = 0; j0 < kend; j0 += a.tile) {
        const std::int64_t n = min64(a.tile, kend - j0);
        __syncthreads();
        stage_rows(ks, a.k.head(b, h), a.k.row_stride, j0, n, E);
        stage_rows(vs, a.v.head(b, h), a.v.row_stride, j0, n, Ev);
        __syncthreads();
        if (i >= a.T_) continue;
        const std::int64_t visible = a.p.causal ? min64(n, i - j0 + 1) : n;
        for (std::int64_t jj = 0; jj < visible; ++jj) {
            const T p = std::exp(dot(qs + t * E, ks + jj * E, E) * static_cast<T>(a.p.scale) - l);
            const T ds = p * (dot(gs + t * Ev, vs + jj * Ev, Ev) * keep_factor(a, bh, i, j0 + jj) - d);
            for (std::int64_t e = 0; e < E; ++e) gq[t * E + e] += ds * ks[jj * E + e];
        }
    }
    if (i >= a.T_) return;
    T* o = dq.head(b, h) + i * dq.row_stride;
    for (std::int64_t e = 0; e < E; ++e) o[e] = gq[t * E + e] * static_cast<T>(a.p.scale);
}

// The launch shape: tiles of up to 32 rows, fewer when `rows_per_thread`
// rows of E + Ev values each would not fit in 48 KiB of shared memory.
template <class T>
AttentionArgs<T> make_args(const TensorArg& q, const TensorArg& k, const TensorArg& v, const AttentionParams& p,
                           int rows_per_thread) {
    AttentionArgs<T> a{q.sizes[1],
                       q.sizes[2],
                       k.sizes[2],
                       q.sizes[3],
                       v.sizes[3],
                       attention_operand<const T>(q),
                       attention_operand<const T>(k),
                       attention_operand<const T>(v),
                       p,
                       static_cast<T>(attention_keep_scale(p.dropout_p)),
                       32};
    const auto bytes = [&](int tile) {
        return static_cast<std::size_t>(tile) * rows_per_thread * (a.E + a.Ev) * sizeof(T);
    };
    while (a.tile > 1 && bytes(a.tile) > 48 * 1024) a.tile /= 2;
    PESO_CHECK(bytes(a.tile) <= 48 * 1024, ShapeError,
               "attention (cuda): head dims {} and {} are too large for the tiled kernel's shared memory", a.E, a.Ev);
    return a;
}

std::size_t shared_bytes(std::int64_t tile, std::int64_t values, std::size_t size) {
    return static_cast<std::size_t>(tile * values) * size;
}

}  // namespace

void CudaBackend::attention(const TensorArg& out, const TensorArg& lse, const TensorArg& q, const TensorArg& k,
                            const TensorArg& v, const AttentionParams& p) {
    const DeviceGuard guard(device_);
    visit_floating(q.dtype, "attention", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const AttentionArgs<T> a = make_args<T>(q, k, v, p, 2);
        const std::int64_t blocks = q.sizes[0] * a.H * ((a.T_ + a.tile - 1) / a.tile);
        launch(attention_forward_kernel<T>, static_cast<unsigned>(blocks), a.tile,
               shared_bytes(a.tile, 2 * (a.E + a.Ev), sizeof(T)), current_stream(), a, attention_operand<T>(out),
               lse.ptr<T>());
    });
}

void CudaBackend::attention_backward(const TensorArg& dq, const TensorArg& dk, const TensorArg& dv,
                                     const TensorArg& dout, const TensorArg& q, const TensorArg& k,
                                     const TensorArg& v, const TensorArg& out, const TensorArg& lse,
                                     const AttentionParams& p) {
    const DeviceGuard guard(device_);
    visit_floating(q.dtype, "attention_backward", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const AttentionArgs<T> a = make_args<T>(q, k, v, p, 3);
        const std::int64_t heads = q.sizes[0] * a.H, queries = heads * a.T_;
        const Scratch delta(allocator_, static_cast<std::size_t>(queries) * sizeof(T));
        const AttentionOperand<const T> g = attention_operand<const T>(dout);
        launch(attention_delta_kernel<T>, grid_for(queries, kThreads), threads_for(queries), 0, current_stream(), a,
               g, attention_operand<const T>(out), delta.as<T>(), queries);
        const std::size_t bytes = shared_bytes(a.tile, 3 * (a.E + a.Ev), sizeof(T));
        launch(attention_dkdv_kernel<T>, static_cast<unsigned>(heads * ((a.S + a.tile - 1) / a.tile)), a.tile, bytes,
               current_stream(), a, g, lse.ptr<const T>(), delta.as<const T>(), attention_operand<T>(dk),
               attention_operand<T>(dv));
        launch(attention_dq_kernel<T>, static_cast<unsigned>(heads * ((a.T_ + a.tile - 1) / a.tile)), a.tile, bytes,
               current_stream(), a, g, lse.ptr<const T>(), delta.as<const T>(), attention_operand<T>(dq));
    });
}

PESO_CUDA_NAMESPACE_END
