// Cross-entropy of logits against class indices, as one op: the forward needs
// only each row's logsumexp and the target's logit, and the backward is
// softmax(x) - one_hot(target) in a single buffer. Composed of log_softmax and
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
    PESO_CHECK(logits.dim() == 2 && logits.is_floating_point(), ShapeError,
               "cross_entropy_rows: expected floating logits (N, C), got shape {} dtype {}", logits.sizes(),
               logits.dtype());
    PESO_CHECK(target.dtype() == DType::i64 && valid.dtype() == DType::b8, DTypeError,
               "cross_entropy_rows: expected int64 targets and a bool mask, got {} and {}", target.dtype(),
               valid.dtype());
    PESO_CHECK(target.sizes() == Dims{logits.size(0)} && valid.sizes() == target.sizes(), ShapeError,
               "cross_entropy_rows: logits {} need targets and a mask of shape ({}), got {} and {}", logits.sizes(),
               logits.size(0), target.sizes(), valid.sizes());
    const Tensor lse = native::logsumexp(logits, {1});
    const Tensor picked = native::gather(logits, 1, target.unsqueeze(1)).squeeze(1);
    Tensor out = native::where(valid, native::sub(lse, picked), 0.0);
    if (!should_record({&logits})) return out;
    record("cross_entropy", {logits}, {out}, {save(logits), save(target), save(valid)},
           [](const Ctx& c, const Grads& g) -> Grads {
               const Tensor x = c.saved(0), t = c.saved(1), valid = c.saved(2);
               if (autograd::grad_enabled()) {
                   // Double backward: the same formula from differentiable ops
                   // (softmax, not the saved logsumexp, which is x's function too).
                   const Tensor onehot = native::one_hot(t, x.size(1)).to(x.dtype());
                   return {mul(sub(softmax(x, 1), onehot), row_scale(g[0], valid))};
               }
               Tensor grad = native::softmax(x, 1);
               const Tensor minus_one =
                   native::full({t.size(0), 1}, -1.0, TensorOptions(x.dtype()).device(x.device()));
               native::scatter_add_(grad, 1, t.unsqueeze(1), minus_one);
               native::binary_(BinaryOp::mul, grad, row_scale(g[0], valid));
               return {grad};
           });
    return out;
}

}  // namespace peso
