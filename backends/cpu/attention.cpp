// Fused attention on the CPU, after FlashAttention-2: the scores of a block of
// queries against a block of keys live in a small tile (64 x 64), the softmax
// is computed online (a running max and sum per query, the output rescaled
// when the max grows), and only each query's log-sum-exp is kept for the
// backward, which recomputes the weights tile by tile. Blocks of keys wholly
// after a causal block of queries are never visited.
//
// Every product is one small row-major GEMM, c (+)= a @ b, run by a register
// tile (kRows rows x two 64-byte vectors of accumulators, a's entries
// broadcast): q @ k^T, p @ v in the forward; k @ q^T, p^T @ dout,
// v @ dout^T, ds^T @ q and k^T @ ds^T in the backward. The operands the
// register tile would read across are transposed once per call (k^T in the
// forward; q^T, dout^T and k^T in the backward), which costs O(T) memory per
// head like the inputs themselves.
//
// Threads: the forward runs (batch, head, query block) items, the costliest
// first, each computing its rows alone; the backward runs (batch, head, key
// chunk) items, each owning its keys' dk and dv and adding its share of dq
// into a buffer of its own; the chunks' buffers are summed in chunk order. The
// chunk count depends on the problem only, so the results are the same bits
// on any number of threads.
//
// The tiles are computed in T (float or double). A bf16 path would convert
// when the operands are packed and when results are written, and keep the
// tiles in float.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>
#if defined(__AVX512F__) || defined(__FMA__)
#include <immintrin.h>
#endif

#include "backends/bf16_host.h"
#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/vec_math.h"
#include "backends/host_allocator.h"

namespace peso {

namespace {

// ---- the register tile -----------------------------------------------------------

template <typename T> struct Wide;
template <> struct Wide<float> {
    typedef float type __attribute__((vector_size(64)));
};
template <> struct Wide<double> {
    typedef double type __attribute__((vector_size(64)));
};
template <typename T> using W = typename Wide<T>::type;
template <typename T> constexpr std::int64_t kWidth = 64 / sizeof(T);

// Rows of the register tile: 8 x 2 accumulators take half of AVX-512's 32
// registers; without AVX-512 a 64-byte vector is two 32-byte registers of 16.
#if defined(__AVX512F__)
constexpr int kRows = 8;
#else
constexpr int kRows = 4;
#endif

template <typename T> inline W<T> load(const T* p) {
    W<T> v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
template <typename T> inline void store(T* p, W<T> v) { std::memcpy(p, &v, sizeof v); }
template <typename T> inline W<T> splat(T x) { return W<T>{} + x; }

// a * b + c with one rounding (the build does not contract a * b + c itself).
inline W<float> fma(W<float> a, W<float> b, W<float> c) {
#if defined(__AVX512F__)
    return reinterpret_cast<W<float>>(_mm512_fmadd_ps(reinterpret_cast<__m512>(a), reinterpret_cast<__m512>(b),
                                                      reinterpret_cast<__m512>(c)));
#else
    return a * b + c;
#endif
}
inline W<double> fma(W<double> a, W<double> b, W<double> c) {
#if defined(__AVX512F__)
    return reinterpret_cast<W<double>>(_mm512_fmadd_pd(reinterpret_cast<__m512d>(a), reinterpret_cast<__m512d>(b),
                                                       reinterpret_cast<__m512d>(c)));
#else
    return a * b + c;
#endif
}

// c[r][0 .. V * width) (+)= sum_p a[r][p] * b[p][0 .. V * width) for M rows.
template <typename T, int M, int V>
inline void register_tile(std::int64_t k, const T* a, std::int64_t lda, const T* b, std::int64_t ldb, T* c,
                          std::int64_t ldc, bool add) {
    constexpr std::int64_t w = kWidth<T>;
    W<T> acc[M][V];
#pragma GCC unroll 16
    for (int r = 0; r < M; ++r)
#pragma GCC unroll 2
        for (int u = 0; u < V; ++u) acc[r][u] = add ? load(c + r * ldc + u * w) : W<T>{};
    for (std::int64_t p = 0; p < k; ++p) {
        W<T> bv[V];
#pragma GCC unroll 2
        for (int u = 0; u < V; ++u) bv[u] = load(b + p * ldb + u * w);
#pragma GCC unroll 16
        for (int r = 0; r < M; ++r) {
            const W<T> x = splat(a[r * lda + p]);
#pragma GCC unroll 2
            for (int u = 0; u < V; ++u) acc[r][u] = fma(x, bv[u], acc[r][u]);
        }
    }
#pragma GCC unroll 16
    for (int r = 0; r < M; ++r)
#pragma GCC unroll 2
        for (int u = 0; u < V; ++u) store(c + r * ldc + u * w, acc[r][u]);
}

template <typename T, int V>
void tile_rows(std::int64_t m, std::int64_t k, const T* a, std::int64_t lda, const T* b, std::int64_t ldb, T* c,
               std::int64_t ldc, bool add) {
    std::int64_t i = 0;
    for (; i + kRows <= m; i += kRows) register_tile<T, kRows, V>(k, a + i * lda, lda, b, ldb, c + i * ldc, ldc, add);
    a += i * lda, c += i * ldc;
    switch (m - i) {
        case 0: return;
        case 1: return register_tile<T, 1, V>(k, a, lda, b, ldb, c, ldc, add);
        case 2: return register_tile<T, 2, V>(k, a, lda, b, ldb, c, ldc, add);
        case 3: return register_tile<T, 3, V>(k, a, lda, b, ldb, c, ldc, add);
#if defined(__AVX512F__)
        case 4: return register_tile<T, 4, V>(k, a, lda, b, ldb, c, ldc, add);
        case 5: return register_tile<T, 5, V>(k, a, lda, b, ldb, c, ldc, add);
        case 6: return register_tile<T, 6, V>(k, a, lda, b, ldb, c, ldc, add);
        case 7: return register_tile<T, 7, V>(k, a, lda, b, ldb, c, ldc, add);
#endif
    }
}

// c (m x n, ldc) (+)= a (m x k, lda) @ b (k x n, ldb), all row-major: whole
// vectors of columns through the register tile, the last few columns plainly.
template <typename T>
void small_gemm(std::int64_t m, std::int64_t n, std::int64_t k, const T* a, std::int64_t lda, const T* b,
                std::int64_t ldb, T* c, std::int64_t ldc, bool add) {
    constexpr std::int64_t w = kWidth<T>;
    std::int64_t j = 0;
    for (; j + 2 * w <= n; j += 2 * w) tile_rows<T, 2>(m, k, a, lda, b + j, ldb, c + j, ldc, add);
    if (j + w <= n) {
        tile_rows<T, 1>(m, k, a, lda, b + j, ldb, c + j, ldc, add);
        j += w;
    }
    for (; j < n; ++j)
        for (std::int64_t i = 0; i < m; ++i) {
            T s = add ? c[i * ldc + j] : T(0);
            for (std::int64_t p = 0; p < k; ++p) s += a[i * lda + p] * b[p * ldb + j];
            c[i * ldc + j] = s;
        }
}

// ---- shared pieces ------------------------------------------------------------------

// Scratch memory from the cpu device's caching allocator: a call's
// transposed operands and partial sums reuse the previous call's blocks
// instead of faulting in fresh pages, which the threads would take one at a
// time (the kernel zeroes each page under the process's memory lock).
template <typename T> class Scratch {
public:
    explicit Scratch(std::int64_t n)
        : n_(static_cast<std::size_t>(n)), p_(static_cast<T*>(host_allocator().allocate(n_ * sizeof(T)))) {}
    ~Scratch() { host_allocator().deallocate(p_, n_ * sizeof(T)); }
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    T* data() const { return p_; }

private:
    std::size_t n_;
    T* p_;
};

constexpr std::int64_t kBlock = 64;  // queries and keys per tile

std::int64_t round_up(std::int64_t n, std::int64_t m) { return (n + m - 1) / m * m; }

// e^x for x <= 0 (the shifted scores): the vectorizable float version, whose
// results below e^-87 are not exact (they are weights next to one of 1).
inline float exp_shifted(float x) { return cpu::exp_nonpositive_f32(x); }
inline double exp_shifted(double x) { return std::exp(x); }

template <typename T> struct Problem {
    std::int64_t B, H, T_, S, E, Ev;
    AttentionOperand<const T> q, k, v;
    AttentionParams p;
    T keep_scale;

    Problem(const TensorArg& q_, const TensorArg& k_, const TensorArg& v_, const AttentionParams& params)
        : B(q_.sizes[0]), H(q_.sizes[1]), T_(q_.sizes[2]), S(k_.sizes[2]), E(q_.sizes[3]), Ev(v_.sizes[3]),
          q(attention_operand<const T>(q_)), k(attention_operand<const T>(k_)), v(attention_operand<const T>(v_)),
          p(params), keep_scale(static_cast<T>(attention_keep_scale(params.dropout_p))) {}

    std::int64_t heads() const { return B * H; }
    const T* head_of(const AttentionOperand<const T>& x, std::int64_t bh) const { return x.head(bh / H, bh % H); }
    // Multiplies w[c] (weights of query i0 + c, or of key j0 + c) by the
    // dropout factors of (i, j) for c < n.
    void drop(T* w, std::int64_t n, std::int64_t bh, std::int64_t i0, std::int64_t di, std::int64_t j0,
              std::int64_t dj) const {
        for (std::int64_t c = 0; c < n; ++c) {
            const std::uint64_t counter = attention_counter(p, bh, i0 + c * di, j0 + c * dj, T_, S);
            w[c] *= attention_keeps<T>(p.seed, counter, p.dropout_p) ? keep_scale : T(0);
        }
    }
};

// x^T of every head of the (B, H, rows, cols) operand, by blocks of kBlock
// rows: block b of head bh is a (cols x kBlock) matrix (row stride kBlock,
// zeros past the last row), so that a tile's operand is 16 KiB in one piece.
// (Whole-head rows of T floats would put a tile's rows 4 KiB apart when T is
// 1024, all in the same L1 cache sets.)
template <typename T> class BlockedTranspose {
public:
    BlockedTranspose(const Problem<T>& pr, const AttentionOperand<const T>& x, std::int64_t rows, std::int64_t cols)
        : cols_(cols), blocks_((rows + kBlock - 1) / kBlock), data_(pr.heads() * blocks_ * cols * kBlock) {
#pragma omp parallel for schedule(static) if (pr.heads() * rows * cols > (1 << 16))
        for (std::int64_t bh = 0; bh < pr.heads(); ++bh) {
            T* head = data_.data() + bh * blocks_ * cols * kBlock;
            std::fill(head, head + blocks_ * cols * kBlock, T(0));
            const T* src = pr.head_of(x, bh);
            for (std::int64_t r = 0; r < rows; ++r) {
                T* dst = head + (r / kBlock) * cols * kBlock + r % kBlock;
                for (std::int64_t c = 0; c < cols; ++c) dst[c * kBlock] = src[r * x.row_stride + c];
            }
        }
    }
    std::int64_t blocks() const { return blocks_; }
    const T* block(std::int64_t bh, std::int64_t row0) const {
        return data_.data() + (bh * blocks_ + row0 / kBlock) * cols_ * kBlock;
    }

private:
    std::int64_t cols_, blocks_;
    Scratch<T> data_;
};

// ---- forward ------------------------------------------------------------------------

template <typename T> struct ForwardScratch {
    std::vector<T> scores, acc, max, sum;
    explicit ForwardScratch(std::int64_t ev)
        : scores(kBlock * kBlock), acc(static_cast<std::size_t>(kBlock * ev)), max(kBlock), sum(kBlock) {}
};

// Turns row r's raw scores s[0 .. n) of keys j0.. into unnormalized weights
// exp(s * scale - new max) (0 past `valid`), updating the running max and
// sum; returns the factor the row's earlier output must be multiplied by.
template <typename T>
T online_softmax_row(T* s, std::int64_t n, std::int64_t valid, T scale, T& max, T& sum) {
    if (valid <= 0) {
        std::fill(s, s + n, T(0));
        return T(1);
    }
    T mx = -std::numeric_limits<T>::infinity();
#pragma omp simd reduction(max : mx)
    for (std::int64_t j = 0; j < valid; ++j) mx = std::max(mx, s[j] * scale);
    const T m_new = std::max(max, mx);
    T total = 0;
#pragma omp simd reduction(+ : total)
    for (std::int64_t j = 0; j < valid; ++j) {
        const T e = exp_shifted(s[j] * scale - m_new);
        s[j] = e;
        total += e;
    }
    std::fill(s + valid, s + n, T(0));
    const T alpha = exp_shifted(max - m_new);  // 0 on the first block (max = -inf)
    sum = sum * alpha + total;
    max = m_new;
    return alpha;
}

template <typename T>
void forward_block(const Problem<T>& pr, const BlockedTranspose<T>& kt, std::int64_t bh,
                   std::int64_t qb, const AttentionOperand<T>& out, T* lse, ForwardScratch<T>& w) {
    const std::int64_t i0 = qb * kBlock, m = std::min(kBlock, pr.T_ - i0), Ev = pr.Ev;
    const std::int64_t kend = pr.p.causal ? std::min(pr.S, i0 + m) : pr.S;
    const T* q = pr.head_of(pr.q, bh) + i0 * pr.q.row_stride;
    const T* v = pr.head_of(pr.v, bh);
    const T scale = static_cast<T>(pr.p.scale);
    std::fill(w.acc.begin(), w.acc.end(), T(0));
    std::fill(w.max.begin(), w.max.end(), -std::numeric_limits<T>::infinity());
    std::fill(w.sum.begin(), w.sum.end(), T(0));
    for (std::int64_t j0 = 0; j0 < kend; j0 += kBlock) {
        const std::int64_t n = std::min(kBlock, kend - j0);
        T* s = w.scores.data();
        // Whole vectors of keys: the columns past n are k^T's zero padding or
        // keys the causal mask hides, and get weight 0 below.
        small_gemm(m, round_up(n, 2 * kWidth<T>), pr.E, q, pr.q.row_stride, kt.block(bh, j0), kBlock, s, kBlock,
                   false);
        for (std::int64_t r = 0; r < m; ++r) {
            const std::int64_t i = i0 + r, valid = pr.p.causal ? std::min(n, i - j0 + 1) : n;
            T* row = s + r * kBlock;
            const T alpha = online_softmax_row(row, n, valid, scale, w.max[r], w.sum[r]);
            if (pr.p.dropout_p > 0.0 && valid > 0) pr.drop(row, valid, bh, i, 0, j0, 1);
            if (alpha != T(1)) {
                T* o = w.acc.data() + r * Ev;
#pragma omp simd
                for (std::int64_t e = 0; e < Ev; ++e) o[e] *= alpha;
            }
        }
        small_gemm(m, Ev, n, s, kBlock, v + j0 * pr.v.row_stride, pr.v.row_stride, w.acc.data(), Ev, true);
    }
    T* o = out.head(bh / pr.H, bh % pr.H) + i0 * out.row_stride;
    for (std::int64_t r = 0; r < m; ++r) {
        const T inv = T(1) / w.sum[r];
        for (std::int64_t e = 0; e < Ev; ++e) o[r * out.row_stride + e] = w.acc[r * Ev + e] * inv;
        lse[bh * pr.T_ + i0 + r] = w.max[r] + std::log(w.sum[r]);
    }
}

template <typename T>
void tiled_forward(const TensorArg& out, const TensorArg& lse, const Problem<T>& pr) {
    const BlockedTranspose<T> kt(pr, pr.k, pr.S, pr.E);
    const AttentionOperand<T> o = attention_operand<T>(out);
    const std::int64_t blocks = (pr.T_ + kBlock - 1) / kBlock, items = pr.heads() * blocks;
#pragma omp parallel if (items > 1 && pr.T_ * pr.S * pr.E > (1 << 15))
    {
        ForwardScratch<T> w(pr.Ev);
        // Under a causal mask the last query blocks cost the most: they go first.
#pragma omp for schedule(dynamic, 1)
        for (std::int64_t item = 0; item < items; ++item)
            forward_block(pr, kt, item % pr.heads(), blocks - 1 - item / pr.heads(), o, lse.ptr<T>(), w);
    }
}

// ---- backward -----------------------------------------------------------------------

// What every item of one backward call reads: the inputs transposed, and
// delta = rowsum(dout * out) of every query.
template <typename T> struct BackwardInputs {
    AttentionOperand<const T> dout;
    const T* lse;
    BlockedTranspose<T> qt, dot, kt;
    Scratch<T> delta;

    BackwardInputs(const Problem<T>& pr, const TensorArg& dout_, const TensorArg& lse_)
        : dout(attention_operand<const T>(dout_)), lse(lse_.ptr<const T>()), qt(pr, pr.q, pr.T_, pr.E),
          dot(pr, dout, pr.T_, pr.Ev), kt(pr, pr.k, pr.S, pr.E), delta(pr.heads() * pr.T_) {}
};

template <typename T> struct BackwardScratch {
    std::vector<T> p, pd, dp, dk, dv;
    BackwardScratch(std::int64_t e, std::int64_t ev)
        : p(kBlock * kBlock), pd(kBlock * kBlock), dp(kBlock * kBlock), dk(static_cast<std::size_t>(kBlock * e)),
          dv(static_cast<std::size_t>(kBlock * ev)) {}
};

// Chunks of each head's keys run as separate items: at least 48 items when
// the keys allow, whatever the thread count (so that the bits do not depend
// on it): small items keep a thread busy while another is preempted on a
// shared machine, instead of waiting for it at the end.
std::int64_t key_chunks(std::int64_t heads, std::int64_t key_blocks) {
    return std::clamp<std::int64_t>((48 + heads - 1) / heads, 1, key_blocks);
}

// The tile of keys j0 .. j0 + n against queries i0 .. i0 + m: dv and dk of the
// keys accumulate in w, dq^T of the queries in dqt (blocks of E x kBlock).
template <typename T>
void backward_tile(const Problem<T>& pr, const BackwardInputs<T>& in, std::int64_t bh, std::int64_t j0,
                   std::int64_t n, std::int64_t i0, T* dqt, BackwardScratch<T>& w) {
    const std::int64_t m = std::min(kBlock, pr.T_ - i0), mp = round_up(m, 2 * kWidth<T>);
    const std::int64_t E = pr.E, Ev = pr.Ev;
    const T scale = static_cast<T>(pr.p.scale);
    const T* q = pr.head_of(pr.q, bh) + i0 * pr.q.row_stride;
    const T* k = pr.head_of(pr.k, bh) + j0 * pr.k.row_stride;
    const T* v = pr.head_of(pr.v, bh) + j0 * pr.v.row_stride;
    const T* dout = pr.head_of(in.dout, bh) + i0 * in.dout.row_stride;
    const T* lse = in.lse + bh * pr.T_ + i0;
    const T* delta = in.delta.data() + bh * pr.T_ + i0;
    T *p = w.p.data(), *dp = w.dp.data();
    // p^T (n x mp) = k @ q^T: row r holds key j0 + r against each query.
    small_gemm(n, mp, E, k, pr.k.row_stride, in.qt.block(bh, i0), kBlock, p, kBlock, false);
    for (std::int64_t r = 0; r < n; ++r) {
        // Queries before key j0 + r do not see it under the causal mask.
        const std::int64_t first = pr.p.causal ? std::clamp<std::int64_t>(j0 + r - i0, 0, m) : 0;
        T* row = p + r * kBlock;
        std::fill(row, row + first, T(0));
#pragma omp simd
        for (std::int64_t c = first; c < m; ++c) row[c] = exp_shifted(row[c] * scale - lse[c]);
        std::fill(row + m, row + mp, T(0));
    }
    // The weights as the forward applied them (dropped and scaled).
    T* pd = p;
    if (pr.p.dropout_p > 0.0) {
        pd = w.pd.data();
        std::copy(p, p + n * kBlock, pd);
        for (std::int64_t r = 0; r < n; ++r) pr.drop(pd + r * kBlock, m, bh, i0, 1, j0 + r, 0);
    }
    small_gemm(n, Ev, m, pd, kBlock, dout, in.dout.row_stride, w.dv.data(), Ev, true);
    // dp^T (n x mp) = v @ dout^T, then ds^T = p^T * (dp^T (dropped) - delta).
    small_gemm(n, mp, Ev, v, pr.v.row_stride, in.dot.block(bh, i0), kBlock, dp, kBlock, false);
    if (pr.p.dropout_p > 0.0)
        for (std::int64_t r = 0; r < n; ++r) pr.drop(dp + r * kBlock, m, bh, i0, 1, j0 + r, 0);
    for (std::int64_t r = 0; r < n; ++r) {
        T* d = dp + r * kBlock;
        const T* prow = p + r * kBlock;
#pragma omp simd
        for (std::int64_t c = 0; c < mp; ++c) d[c] = prow[c] * (d[c] - (c < m ? delta[c] : T(0)));
    }
    small_gemm(n, E, m, dp, kBlock, q, pr.q.row_stride, w.dk.data(), E, true);
    // dq^T (E x mp) += k^T @ ds^T.
    small_gemm(E, mp, n, in.kt.block(bh, j0), kBlock, dp, kBlock, dqt + i0 / kBlock * E * kBlock, kBlock, true);
}

// One item: the key blocks c, c + chunks, ... of head bh (interleaved, so
// that under a causal mask the chunks get similar work).
template <typename T>
void backward_chunk(const Problem<T>& pr, const BackwardInputs<T>& in, std::int64_t bh, std::int64_t chunk,
                    std::int64_t chunks, T* dqt, const AttentionOperand<T>& dk, const AttentionOperand<T>& dv,
                    BackwardScratch<T>& w) {
    const T scale = static_cast<T>(pr.p.scale);
    for (std::int64_t j0 = chunk * kBlock; j0 < pr.S; j0 += chunks * kBlock) {
        const std::int64_t n = std::min(kBlock, pr.S - j0);
        std::fill(w.dk.begin(), w.dk.end(), T(0));
        std::fill(w.dv.begin(), w.dv.end(), T(0));
        const std::int64_t first = pr.p.causal ? j0 / kBlock * kBlock : 0;
        for (std::int64_t i0 = first; i0 < pr.T_; i0 += kBlock) backward_tile(pr, in, bh, j0, n, i0, dqt, w);
        T* dkh = dk.head(bh / pr.H, bh % pr.H) + j0 * dk.row_stride;
        T* dvh = dv.head(bh / pr.H, bh % pr.H) + j0 * dv.row_stride;
        for (std::int64_t r = 0; r < n; ++r) {
            for (std::int64_t e = 0; e < pr.E; ++e) dkh[r * dk.row_stride + e] = w.dk[r * pr.E + e] * scale;
            for (std::int64_t e = 0; e < pr.Ev; ++e) dvh[r * dv.row_stride + e] = w.dv[r * pr.Ev + e];
        }
    }
}

template <typename T>
void tiled_backward(const TensorArg& dq, const TensorArg& dk, const TensorArg& dv, const TensorArg& dout,
                        const TensorArg& out, const TensorArg& lse, const Problem<T>& pr) {
    BackwardInputs<T> in(pr, dout, lse);
    const AttentionOperand<const T> o = attention_operand<const T>(out);
#pragma omp parallel for schedule(static) if (pr.heads() * pr.T_ * pr.Ev > (1 << 16))
    for (std::int64_t bh = 0; bh < pr.heads(); ++bh)
        for (std::int64_t i = 0; i < pr.T_; ++i) {
            const T* a = pr.head_of(in.dout, bh) + i * in.dout.row_stride;
            const T* b = pr.head_of(o, bh) + i * o.row_stride;
            T s = 0;
            for (std::int64_t e = 0; e < pr.Ev; ++e) s += a[e] * b[e];
            in.delta.data()[bh * pr.T_ + i] = s;
        }
    const std::int64_t chunks = key_chunks(pr.heads(), (pr.S + kBlock - 1) / kBlock);
    const std::int64_t items = pr.heads() * chunks, part = in.qt.blocks() * pr.E * kBlock;
    const Scratch<T> dqt(items * part);  // each item zeroes its part
    const AttentionOperand<T> gk = attention_operand<T>(dk), gv = attention_operand<T>(dv);
#pragma omp parallel if (items > 1 && pr.T_ * pr.S * pr.E > (1 << 15))
    {
        BackwardScratch<T> w(pr.E, pr.Ev);
#pragma omp for schedule(dynamic, 1)
        for (std::int64_t item = 0; item < items; ++item)
        {
            std::fill(dqt.data() + item * part, dqt.data() + (item + 1) * part, T(0));
            backward_chunk(pr, in, item / chunks, item % chunks, chunks, dqt.data() + item * part, gk, gv, w);
        }
    }
    // dq = scale * (the chunks' dq^T summed in chunk order)^T.
    const AttentionOperand<T> gq = attention_operand<T>(dq);
    const T scale = static_cast<T>(pr.p.scale);
#pragma omp parallel for schedule(static) if (pr.heads() * pr.T_ * pr.E > (1 << 16))
    for (std::int64_t bh = 0; bh < pr.heads(); ++bh) {
        T* d = gq.head(bh / pr.H, bh % pr.H);
        for (std::int64_t i = 0; i < pr.T_; ++i)
            for (std::int64_t e = 0; e < pr.E; ++e) {
                T s = 0;
                for (std::int64_t c = 0; c < chunks; ++c)
                    s += dqt.data()[(bh * chunks + c) * part + (i / kBlock * pr.E + e) * kBlock + i % kBlock];
                d[i * gq.row_stride + e] = s * scale;
            }
    }
}

}  // namespace

void CpuBackend::attention(const TensorArg& out, const TensorArg& lse, const TensorArg& q, const TensorArg& k,
                           const TensorArg& v, const AttentionParams& p) {
    if (bf16::any(out, lse, q, k, v)) {  // the float32 kernel on widened copies (bf16_host.h)
        const bf16::Widened w_out(*this, out, bf16::Widened::Role::out),
              w_lse(*this, lse, bf16::Widened::Role::out),
              w_q(*this, q, bf16::Widened::Role::in),
              w_k(*this, k, bf16::Widened::Role::in),
              w_v(*this, v, bf16::Widened::Role::in);
        return attention(w_out, w_lse, w_q, w_k, w_v, p);
    }
    visit_floating(q.dtype, "attention", [&](auto tag) {
        using T = typename decltype(tag)::type;
        tiled_forward<T>(out, lse, Problem<T>(q, k, v, p));
    });
}

void CpuBackend::attention_backward(const TensorArg& dq, const TensorArg& dk, const TensorArg& dv,
                                    const TensorArg& dout, const TensorArg& q, const TensorArg& k, const TensorArg& v,
                                    const TensorArg& out, const TensorArg& lse, const AttentionParams& p) {
    if (bf16::any(dq, dk, dv, dout, q, k, v, out, lse)) {  // the float32 kernel on widened copies (bf16_host.h)
        const bf16::Widened w_dq(*this, dq, bf16::Widened::Role::out),
              w_dk(*this, dk, bf16::Widened::Role::out),
              w_dv(*this, dv, bf16::Widened::Role::out),
              w_dout(*this, dout, bf16::Widened::Role::in),
              w_q(*this, q, bf16::Widened::Role::in),
              w_k(*this, k, bf16::Widened::Role::in),
              w_v(*this, v, bf16::Widened::Role::in),
              w_out(*this, out, bf16::Widened::Role::in),
              w_lse(*this, lse, bf16::Widened::Role::in);
        return attention_backward(w_dq, w_dk, w_dv, w_dout, w_q, w_k, w_v, w_out, w_lse, p);
    }
    visit_floating(q.dtype, "attention_backward", [&](auto tag) {
        using T = typename decltype(tag)::type;
        tiled_backward<T>(dq, dk, dv, dout, out, lse, Problem<T>(q, k, v, p));
    });
}

}  // namespace peso
