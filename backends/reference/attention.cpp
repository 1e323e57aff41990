// Reference fused attention, the oracle of the tiled kernels: each query's
// row of scores in double, its log-sum-exp, then the weighted sum of values;
// the backward recomputes each row's weights from the saved log-sum-exp and
// the dropout mask from its counters, as the tiled kernels do, but keeps
// nothing in tiles and accumulates in double.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "backends/bf16_host.h"
#include "backends/reference/reference_backend.h"

namespace peso {

namespace {

// Sizes and operands of one call.
template <typename T> struct Problem {
    std::int64_t B, H, T_, S, E, Ev;
    AttentionOperand<const T> q, k, v;
    AttentionParams p;

    Problem(const TensorArg& q_, const TensorArg& k_, const TensorArg& v_, const AttentionParams& params)
        : B(q_.sizes[0]), H(q_.sizes[1]), T_(q_.sizes[2]), S(k_.sizes[2]), E(q_.sizes[3]), Ev(v_.sizes[3]),
          q(attention_operand<const T>(q_)), k(attention_operand<const T>(k_)), v(attention_operand<const T>(v_)),
          p(params) {}

    // Keys query i sees.
    std::int64_t keys(std::int64_t i) const { return p.causal ? std::min(i + 1, S) : S; }
    double score(std::int64_t b, std::int64_t h, std::int64_t i, std::int64_t j) const {
        const T* qi = q.head(b, h) + i * q.row_stride;
        const T* kj = k.head(b, h) + j * k.row_stride;
        double s = 0;
        for (std::int64_t e = 0; e < E; ++e) s += static_cast<double>(qi[e]) * static_cast<double>(kj[e]);
        return s * p.scale;
    }
    // The dropout factor of weight (i, j): 0 or 1 / (1 - p).
    double keep(std::int64_t b, std::int64_t h, std::int64_t i, std::int64_t j) const {
        if (p.dropout_p == 0.0) return 1.0;
        const bool kept = attention_keeps<T>(p.seed, attention_counter(p, b * H + h, i, j, T_, S), p.dropout_p);
        return kept ? attention_keep_scale(p.dropout_p) : 0.0;
    }
};

}  // namespace

void ReferenceBackend::attention(const TensorArg& out, const TensorArg& lse, const TensorArg& q, const TensorArg& k,
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
        const Problem<T> pr(q, k, v, p);
        const AttentionOperand<T> o = attention_operand<T>(out);
        std::vector<double> s(static_cast<std::size_t>(pr.S)), acc(static_cast<std::size_t>(pr.Ev));
        for (std::int64_t b = 0; b < pr.B; ++b)
            for (std::int64_t h = 0; h < pr.H; ++h)
                for (std::int64_t i = 0; i < pr.T_; ++i) {
                    const std::int64_t n = pr.keys(i);
                    double mx = -std::numeric_limits<double>::infinity();
                    for (std::int64_t j = 0; j < n; ++j) mx = std::max(mx, s[j] = pr.score(b, h, i, j));
                    double sum = 0;
                    for (std::int64_t j = 0; j < n; ++j) sum += std::exp(s[j] - mx);
                    const double l = mx + std::log(sum);
                    std::fill(acc.begin(), acc.end(), 0.0);
                    for (std::int64_t j = 0; j < n; ++j) {
                        const double w = std::exp(s[j] - l) * pr.keep(b, h, i, j);
                        const T* vj = pr.v.head(b, h) + j * pr.v.row_stride;
                        for (std::int64_t e = 0; e < pr.Ev; ++e) acc[e] += w * static_cast<double>(vj[e]);
                    }
                    T* oi = o.head(b, h) + i * o.row_stride;
                    for (std::int64_t e = 0; e < pr.Ev; ++e) oi[e] = static_cast<T>(acc[e]);
                    lse.ptr<T>()[(b * pr.H + h) * pr.T_ + i] = static_cast<T>(l);
                }
    });
}

void ReferenceBackend::attention_backward(const TensorArg& dq, const TensorArg& dk, const TensorArg& dv,
                                          const TensorArg& dout, const TensorArg& q, const TensorArg& k,
                                          const TensorArg& v, const TensorArg& out, const TensorArg& lse,
                                          const AttentionParams& p) {
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
        const Problem<T> pr(q, k, v, p);
        const AttentionOperand<const T> g = attention_operand<const T>(dout);
        const AttentionOperand<T> gq = attention_operand<T>(dq), gk = attention_operand<T>(dk),
                                  gv = attention_operand<T>(dv);
        const std::int64_t S = pr.S, E = pr.E, Ev = pr.Ev;
        std::vector<double> w(S), dw(S), dqi(E), dkh(S * E), dvh(S * Ev);
        for (std::int64_t b = 0; b < pr.B; ++b)
            for (std::int64_t h = 0; h < pr.H; ++h) {
                std::fill(dkh.begin(), dkh.end(), 0.0);
                std::fill(dvh.begin(), dvh.end(), 0.0);
                for (std::int64_t i = 0; i < pr.T_; ++i) {
                    const std::int64_t n = pr.keys(i);
                    const double l = lse.ptr<T>()[(b * pr.H + h) * pr.T_ + i];
                    const T* gi = g.head(b, h) + i * g.row_stride;
                    // w: the softmax weights; dw: the gradient of the loss
                    // with respect to them (through the dropout mask).
                    double delta = 0;
                    for (std::int64_t j = 0; j < n; ++j) {
                        w[j] = std::exp(pr.score(b, h, i, j) - l);
                        const T* vj = pr.v.head(b, h) + j * pr.v.row_stride;
                        double d = 0;
                        for (std::int64_t e = 0; e < Ev; ++e) d += static_cast<double>(gi[e]) * vj[e];
                        const double keep = pr.keep(b, h, i, j);
                        dw[j] = d * keep;
                        delta += w[j] * dw[j];
                        for (std::int64_t e = 0; e < Ev; ++e) dvh[j * Ev + e] += w[j] * keep * gi[e];
                    }
                    std::fill(dqi.begin(), dqi.end(), 0.0);
                    const T* qi = pr.q.head(b, h) + i * pr.q.row_stride;
                    for (std::int64_t j = 0; j < n; ++j) {
                        const double ds = w[j] * (dw[j] - delta) * p.scale;  // d loss / d (q . k)
                        const T* kj = pr.k.head(b, h) + j * pr.k.row_stride;
                        for (std::int64_t e = 0; e < E; ++e) {
                            dqi[e] += ds * kj[e];
                            dkh[j * E + e] += ds * qi[e];
                        }
                    }
                    T* dqo = gq.head(b, h) + i * gq.row_stride;
                    for (std::int64_t e = 0; e < E; ++e) dqo[e] = static_cast<T>(dqi[e]);
                }
                for (std::int64_t j = 0; j < S; ++j) {
                    T* dko = gk.head(b, h) + j * gk.row_stride;
                    T* dvo = gv.head(b, h) + j * gv.row_stride;
                    for (std::int64_t e = 0; e < E; ++e) dko[e] = static_cast<T>(dkh[j * E + e]);
                    for (std::int64_t e = 0; e < Ev; ++e) dvo[e] = static_cast<T>(dvh[j * Ev + e]);
                }
            }
    });
}

}  // namespace peso
