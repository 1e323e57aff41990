// Cross-entropy of logits against class indices, as one op: the forward needs
// only each row's logsumexp and the target's logit, and the backward is
// (softmax(x) - one_hot(target)) * g, each one backend pass over the rows
// (native::cross_entropy_rows and its backward). Composed of log_softmax and
// gather instead, it would save a (N, C) log-probability tensor and make three
// more of that size in its backward: for a GPT's (B*T, vocab) logits, the
// largest tensors of the step.
#include "autograd/ops/common.h"

namespace peso {

using namespace autograd;

namespace {

// The gradient for each row's loss, (N, 1), zero on ignored rows.
Tensor row_scale(const Tensor& g, const Tensor& valid) { return mul(g, valid.to(g.dtype())).unsqueeze(1); }

}  // namespace

Tensor cross_entropy_rows(const Tensor& logits, const Tensor& target, const Tensor& valid) {
    auto [out, lse] = native::cross_entropy_rows(logits, target, valid);
    if (!should_record({&logits})) return out;
    record("cross_entropy_rows", {logits}, {out}, {save(logits), save(target), save(valid), save(lse)},
           [](const Ctx& c, const Grads& g) -> Grads {
               const Tensor x = c.saved(0), t = c.saved(1), valid = c.saved(2);
               if (c.create_graph()) {
                   // Double backward: the same formula from differentiable ops
                   // (softmax, not the saved logsumexp, which is x's function too).
                   const Tensor onehot = native::one_hot(t, x.size(1)).to(x.dtype());
                   return {mul(sub(softmax(x, 1), onehot), row_scale(g[0], valid))};
               }
               return {native::cross_entropy_rows_backward(g[0], x, t, valid, c.saved(3))};
           });
    return out;
}

}  // namespace peso
