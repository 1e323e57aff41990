// softmax, log_softmax and layer_norm, and their derivatives.
#include "autograd/ops/common.h"

namespace peso {

using namespace autograd;

Tensor softmax(const Tensor& x, std::int64_t dim) {
    Tensor out = native::softmax(x, dim);
    if (!should_record({&x})) return out;
    record("softmax", {x}, {out}, {save_output(out)}, [dim](const Ctx& c, const Grads& g) -> Grads {
        // dx = y * (g - sum(g * y))
        const Tensor y = c.saved(0);
        return {mul(y, sub(g[0], sum(mul(g[0], y), {dim}, true)))};
    });
    return out;
}

Tensor log_softmax(const Tensor& x, std::int64_t dim) {
    Tensor out = native::log_softmax(x, dim);
    if (!should_record({&x})) return out;
    record("log_softmax", {x}, {out}, {save_output(out)}, [dim](const Ctx& c, const Grads& g) -> Grads {
        // dx = g - softmax(x) * sum(g)
        return {sub(g[0], mul(exp(c.saved(0)), sum(g[0], {dim}, true)))};
    });
    return out;
}

std::tuple<Tensor, Tensor, Tensor> layer_norm(const Tensor& x, const Dims& normalized_shape, const Tensor& weight,
                                              const Tensor& bias, double eps) {
    auto res = native::layer_norm(x, normalized_shape, weight, bias, eps);
    if (!should_record({&x, &weight, &bias})) return res;
    const Tensor& out = std::get<0>(res);
    const int nd = x.dim(), nn = normalized_shape.size();
    Dims norm_dims, lead_dims;
    for (int i = 0; i < nd; ++i) (i >= nd - nn ? norm_dims : lead_dims).push_back(i);
    const bool has_w = weight.defined(), has_b = bias.defined();
    // mean and rstd are saved as shaped like x's leading dims plus 1s, ready to broadcast.
    Dims stat_shape = x.sizes();
    for (int i = nd - nn; i < nd; ++i) stat_shape[i] = 1;
    std::vector<Tensor> inputs{x, weight, bias};
    record("layer_norm", inputs, {out},
           {save(x), save(weight), save(std::get<1>(res).reshape(stat_shape)), save(std::get<2>(res).reshape(stat_shape))},
           [=](const Ctx& c, const Grads& g) -> Grads {
               const Tensor xs = c.saved(0), w = c.saved(1);
               if (!c.create_graph()) {
                   // No graph of this backward: the backend's fused pass, from the saved statistics.
                   auto [dx, dw, db] = native::layer_norm_backward(
                       g[0], xs, normalized_shape, c.saved(2), c.saved(3), w,
                       {c.needs_input_grad(0), has_w && c.needs_input_grad(1), has_b && c.needs_input_grad(2)});
                   return {dx, dw, db};
               }
               // Double backward: the same formula from differentiable ops, the
               // statistics recomputed (they are functions of x too).
               const Tensor mu = mean(xs, norm_dims, true);
               const Tensor centered = sub(xs, mu);
               const Tensor rstd = rsqrt(add(mean(mul(centered, centered), norm_dims, true), eps));
               const Tensor xhat = mul(centered, rstd);
               Grads r(3);
               const Tensor gxhat = has_w ? mul(g[0], w) : g[0];
               if (c.needs_input_grad(0)) {
                   const Tensor m1 = mean(gxhat, norm_dims, true);
                   const Tensor m2 = mean(mul(gxhat, xhat), norm_dims, true);
                   r[0] = mul(rstd, sub(sub(gxhat, m1), mul(xhat, m2)));
               }
               if (has_w && c.needs_input_grad(1))
                   r[1] = lead_dims.empty() ? mul(g[0], xhat) : sum(mul(g[0], xhat), lead_dims);
               if (has_b && c.needs_input_grad(2)) r[2] = lead_dims.empty() ? g[0] : sum(g[0], lead_dims);
               return r;
           });
    return res;
}

}  // namespace peso
