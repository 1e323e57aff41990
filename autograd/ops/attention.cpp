// Fused scaled dot-product attention as one op: the forward keeps only each
// query's log-sum-exp (native::attention), the backward recomputes the
// weights tile by tile (native::attention_backward); the dropout mask is
// never stored, its Philox counters are reserved from the generator here and
// the backward regenerates it from them.
#include <cmath>
#include <limits>

#include "autograd/ops/common.h"

namespace peso {

using namespace autograd;

namespace {

// The dropout factors (0 or 1 / (1 - p)) of the weights (lead..., T, S), as
// a tensor drawn from the counters the forward used: the same rand() test
// nn::functional::dropout makes.
Tensor dropout_factors(const Dims& weights_shape, const TensorOptions& opts, const AttentionParams& p) {
    Generator gen;
    gen.set_state(p.seed, p.offset);
    const Tensor keep = native::lt(native::rand(weights_shape, opts, &gen), 1.0 - p.dropout_p);
    return native::mul(native::to_dtype(keep, opts.dtype_or(kDefaultDType)), attention_keep_scale(p.dropout_p));
}

// The backward written with differentiable ops, for double backward: the
// weights from softmax of the masked scores, then the usual formulas.
Grads composite_grads(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& g, const AttentionParams& p) {
    const auto mT = [](const Tensor& t) { return transpose(t, -2, -1); };
    Tensor scores = mul(matmul(q, mT(k)), p.scale);
    if (p.causal) {
        const TensorOptions bools = TensorOptions(DType::b8).device(q.device());
        scores = masked_fill(scores, native::triu(native::ones({q.size(-2), k.size(-2)}, bools), 1),
                             -std::numeric_limits<double>::infinity());
    }
    const Tensor w = softmax(scores, -1);
    Tensor dropped = w, dw = matmul(g, mT(v));
    if (p.dropout_p > 0.0) {
        const Tensor factors = dropout_factors(w.sizes(), q.options(), p);
        dropped = mul(w, factors);
        dw = mul(dw, factors);
    }
    const Tensor ds = mul(w, sub(dw, sum(mul(dw, w), {-1}, true)));
    return {sum_to(mul(matmul(ds, k), p.scale), q.sizes()), sum_to(mul(matmul(mT(ds), q), p.scale), k.sizes()),
            sum_to(matmul(mT(dropped), g), v.sizes())};
}

}  // namespace

Tensor fused_attention(const Tensor& q, const Tensor& k, const Tensor& v, bool is_causal, double scale,
                       double dropout_p, Generator* gen) {
    AttentionParams p;
    p.scale = scale;
    p.causal = is_causal;
    p.dropout_p = dropout_p;
    if (dropout_p > 0.0 && dropout_p < 1.0) {  // p = 1 keeps nothing and draws nothing, as nn's dropout
        Generator& g = gen ? *gen : default_generator();
        p.seed = g.seed();
        p.offset = g.reserve(static_cast<std::uint64_t>(native::attention_weight_count(q, k, v)));
    }
    auto [out, lse] = native::attention(q, k, v, p);
    if (!should_record({&q, &k, &v})) return out;
    record("fused_attention", {q, k, v}, {out}, {save(q), save(k), save(v), save_output(out), save(lse)},
           [p](const Ctx& c, const Grads& g) -> Grads {
               const Tensor q = c.saved(0), k = c.saved(1), v = c.saved(2);
               if (c.create_graph()) return composite_grads(q, k, v, g[0], p);
               auto [dq, dk, dv] = native::attention_backward(g[0], q, k, v, c.saved(3), c.saved(4), p);
               return {sum_to(dq, q.sizes()), sum_to(dk, k.sizes()), sum_to(dv, v.sizes())};
           });
    return out;
}

}  // namespace peso
