#include "nn/losses.h"

#include <algorithm>

#include "tensor/device_checks.h"

namespace peso::nn {

namespace {

Tensor reduce(const Tensor& loss, Reduction reduction) {
    switch (reduction) {
        case Reduction::None: return loss;
        case Reduction::Sum: return sum(loss);
        case Reduction::Mean: break;
    }
    return mean(loss);
}

void check_floating(const char* op, const Tensor& input) {
    PESO_CHECK(input.defined(), ValueError, "{}: undefined input", op);
    PESO_CHECK(input.is_floating_point(), DTypeError, "{}: expected a floating input, got {} (shape {})", op,
               input.dtype(), input.sizes());
}

void check_same_shape(const char* op, const Tensor& input, const Tensor& target) {
    PESO_CHECK(target.defined(), ValueError, "{}: undefined target", op);
    PESO_CHECK(input.sizes() == target.sizes(), ShapeError,
               "{}: target shape {} must be the same as the input shape {}", op, target.sizes(), input.sizes());
}

// weight (or pos_weight) multiplied with a tensor shaped like input must keep that shape.
void check_broadcasts_to(const char* op, const char* what, const Tensor& w, const Tensor& input) {
    if (!w.defined()) return;
    bool ok = w.dim() <= input.dim();
    for (int i = 1; ok && i <= w.dim(); ++i) ok = w.size(-i) == 1 || w.size(-i) == input.size(-i);
    PESO_CHECK(ok, ShapeError, "{}: {} of shape {} does not broadcast to the input shape {}", op, what, w.sizes(),
               input.sizes());
}

// log(x) clamped at -100 as PyTorch's BCE, without NaN or Inf in its gradient
// where x == 0: the log never sees a zero.
Tensor clamped_log(const Tensor& x) {
    const Tensor positive = native::gt(x, 0.0);
    return clamp(where(positive, log(where(positive, x, 1.0)), -100.0), -100.0, std::nullopt);
}

// log(1 + exp(-x)) = -log(sigmoid(x)), stable for any |x| and exactly
// differentiable at 0 (each branch only sees arguments <= 0 inside exp).
Tensor softplus_neg(const Tensor& x) {
    const Tensor nonneg = native::ge(x, 0.0);
    const Tensor a = where(nonneg, x, 0.0);
    const Tensor b = where(nonneg, 0.0, x);
    return where(nonneg, log1p(exp(neg(a))), sub(log1p(exp(b)), b));
}

// Class-index targets checked and laid out as (N, d1, ...) against input (N, C, d1, ...).
struct ClassTargets {
    Tensor input;   // batched: (N, C, ...)
    Tensor target;  // int64 (N, ...)
    Tensor valid;   // bool: target != ignore_index
    Tensor safe;    // int64: target where valid, else 0
    Tensor weight;  // (C) in input's dtype, or undefined
    bool unbatched = false;
};

ClassTargets class_targets(const char* op, const Tensor& input, const Tensor& target, const Tensor& weight,
                           std::int64_t ignore_index) {
    check_floating(op, input);
    PESO_CHECK(target.defined(), ValueError, "{}: undefined target", op);
    PESO_CHECK(target.dtype() == DType::i64 || target.dtype() == DType::i32, DTypeError,
               "{}: expected class-index targets of dtype int64 (or int32), got {} (shape {})", op, target.dtype(),
               target.sizes());
    PESO_CHECK(input.dim() >= 1, ShapeError, "{}: input must have a class dim, got shape {}", op, input.sizes());
    ClassTargets c;
    c.unbatched = input.dim() == 1;
    c.input = c.unbatched ? input.unsqueeze(0) : input;
    c.target = (c.unbatched && target.dim() == 0 ? target.unsqueeze(0) : target).to(DType::i64);
    Dims expected = c.input.sizes();
    expected.erase(1);
    PESO_CHECK(c.target.sizes() == expected, ShapeError,
               "{}: input of shape {} (N, C, ...) expects a target of shape {}, got {}", op, input.sizes(),
               c.unbatched ? Dims{} : expected, target.sizes());
    const std::int64_t C = c.input.size(1);
    if (weight.defined()) {
        PESO_CHECK(weight.dim() == 1 && weight.size(0) == C, ShapeError,
                   "{}: weight must be (C) = ({}), got shape {}", op, C, weight.sizes());
        c.weight = weight.detach().to(input.dtype());
    }
    c.valid = native::ne(c.target, ignore_index);
    const Tensor bad = native::logical_and(c.valid, native::logical_or(native::lt(c.target, 0), native::ge(c.target, C)));
    if (native::device_checks_values(bad.device())) {
        native::check_on_device(bad, c.target, fmt::format("{}: target ", op),
                                fmt::format(" is out of bounds for {} classes (input shape {}, ignore_index {})", C,
                                            input.sizes(), ignore_index));
    } else if (native::any(bad).item<bool>()) {
        const Tensor first = native::argmax(native::to_dtype(bad.flatten(), DType::i64));
        const std::int64_t value = c.target.flatten().select(0, first.item<std::int64_t>()).item<std::int64_t>();
        throw IndexError(fmt::format("{}: target {} is out of bounds for {} classes (input shape {}, ignore_index {})",
                                     op, value, C, input.sizes(), ignore_index));
    }
    c.safe = native::where(c.valid, c.target, 0);
    return c;
}

// The unreduced negative log-likelihood and the Mean divisor (sum of the
// weights of the non-ignored targets).
std::pair<Tensor, Tensor> nll_terms(const ClassTargets& c) {
    const Tensor picked = gather(c.input, 1, c.safe.unsqueeze(1)).squeeze(1);
    // Ignored positions are zeroed before any multiplication, so that a -inf
    // log-probability at class 0 cannot turn into NaN.
    const Tensor kept = masked_fill(picked, native::logical_not(c.valid), 0.0);
    const Tensor valid_f = native::to_dtype(c.valid, c.input.dtype());
    if (!c.weight.defined()) return {neg(kept), native::sum(valid_f)};
    const Tensor wt = native::mul(native::index_select(c.weight, 0, c.safe.flatten()).view(c.safe.sizes()), valid_f);
    return {neg(mul(kept, wt)), native::sum(wt)};
}

Tensor reduce_class_loss(const Tensor& loss, const Tensor& total_weight, Reduction reduction, bool unbatched) {
    switch (reduction) {
        case Reduction::None: return unbatched ? loss.squeeze(0) : loss;
        case Reduction::Sum: return sum(loss);
        case Reduction::Mean: break;
    }
    return div(sum(loss), total_weight);
}

// weight (C) viewed as (1, C, 1, ...) against input (N, C, ...), or (C) against (C).
Tensor class_weight_view(const Tensor& weight, const Tensor& input, int class_dim) {
    Dims shape = Dims::filled(input.dim(), 1);
    shape[class_dim] = weight.size(0);
    return weight.detach().to(input.dtype()).view(shape);
}

Tensor cross_entropy_probabilities(const Tensor& input, const Tensor& target, const CrossEntropyLossOptions& o) {
    constexpr const char* op = "cross_entropy";
    check_same_shape(op, input, target);
    const int class_dim = input.dim() == 1 ? 0 : 1;
    const std::int64_t C = input.size(class_dim);
    PESO_CHECK(!o.weight.defined() || (o.weight.dim() == 1 && o.weight.size(0) == C), ShapeError,
               "{}: weight must be (C) = ({}), got shape {}", op, C, o.weight.sizes());
    const Tensor logp = log_softmax(input, class_dim);
    const Tensor t = o.label_smoothing > 0.0 ? add(mul(target, 1.0 - o.label_smoothing), o.label_smoothing / C) : target;
    Tensor prod = mul(logp, t);
    if (o.weight.defined()) prod = mul(prod, class_weight_view(o.weight, input, class_dim));
    switch (o.reduction) {
        case Reduction::None: return neg(sum(prod, {class_dim}));
        case Reduction::Sum: return neg(sum(prod));
        case Reduction::Mean: break;
    }
    return div(neg(sum(prod)), static_cast<double>(input.numel() / std::max<std::int64_t>(C, 1)));
}

}  // namespace

namespace functional {

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
    check_floating("mse_loss", input);
    check_same_shape("mse_loss", input, target);
    const Tensor d = sub(input, target);
    return reduce(mul(d, d), reduction);
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction) {
    constexpr const char* op = "binary_cross_entropy";
    check_floating(op, input);
    check_same_shape(op, input, target);
    check_broadcasts_to(op, "weight", weight, input);
    PESO_CHECK(!native::any(native::logical_or(native::lt(input, 0.0), native::gt(input, 1.0))).item<bool>(),
               ValueError, "{}: all elements of input should be between 0 and 1 (input shape {})", op, input.sizes());
    // -(y log x + (1 - y) log(1 - x))
    Tensor loss = neg(add(mul(target, clamped_log(input)), mul(sub(1.0, target), clamped_log(sub(1.0, input)))));
    if (weight.defined()) loss = mul(loss, weight.to(input.dtype()));
    return reduce(loss, reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight,
                                        Reduction reduction, const Tensor& pos_weight) {
    constexpr const char* op = "binary_cross_entropy_with_logits";
    check_floating(op, input);
    check_same_shape(op, input, target);
    check_broadcasts_to(op, "weight", weight, input);
    check_broadcasts_to(op, "pos_weight", pos_weight, input);
    const Tensor sp = softplus_neg(input);  // -log(sigmoid(x))
    const Tensor log_weight = pos_weight.defined() ? add(mul(sub(pos_weight.to(input.dtype()), 1.0), target), 1.0)
                                                   : Tensor();
    Tensor loss = add(mul(sub(1.0, target), input), log_weight.defined() ? mul(log_weight, sp) : sp);
    if (weight.defined()) loss = mul(loss, weight.to(input.dtype()));
    return reduce(loss, reduction);
}

Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossOptions& o) {
    const ClassTargets c = class_targets("nll_loss", input, target, o.weight, o.ignore_index);
    const auto [loss, total] = nll_terms(c);
    return reduce_class_loss(loss, total, o.reduction, c.unbatched);
}

Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyLossOptions& o) {
    constexpr const char* op = "cross_entropy";
    PESO_CHECK(o.label_smoothing >= 0.0 && o.label_smoothing <= 1.0, ValueError,
               "{}: label_smoothing must be between 0.0 and 1.0, got {}", op, o.label_smoothing);
    check_floating(op, input);
    PESO_CHECK(input.dim() >= 1, ShapeError, "{}: input must have a class dim, got shape {}", op, input.sizes());
    PESO_CHECK(target.defined(), ValueError, "{}: undefined target", op);
    if (target.is_floating_point()) return cross_entropy_probabilities(input, target, o);

    if (input.dim() == 2 && !o.weight.defined() && o.label_smoothing == 0.0) {
        // The common case (an LM's (N, vocab) logits) as one fused op.
        const ClassTargets c = class_targets(op, input, target, {}, o.ignore_index);
        const Tensor rows = cross_entropy_rows(c.input, c.safe, c.valid);
        return reduce_class_loss(rows, native::sum(native::to_dtype(c.valid, input.dtype())), o.reduction, false);
    }
    const int class_dim = input.dim() == 1 ? 0 : 1;
    const Tensor logp = log_softmax(input, class_dim);
    const ClassTargets c = class_targets(op, logp, target, o.weight, o.ignore_index);
    const auto [nll, total] = nll_terms(c);
    const Tensor nll_reduced = reduce_class_loss(nll, total, o.reduction, c.unbatched);
    if (o.label_smoothing == 0.0) return nll_reduced;

    // PyTorch's cross_entropy_loss_label_smoothing.
    const std::int64_t C = c.input.size(1);
    const Tensor weighted = c.weight.defined() ? mul(c.input, class_weight_view(c.weight, c.input, 1)) : c.input;
    const Tensor smooth = masked_fill(neg(sum(weighted, {1})), native::logical_not(c.valid), 0.0);
    const Tensor smooth_reduced = reduce_class_loss(smooth, total, o.reduction, c.unbatched);
    return add(mul(nll_reduced, 1.0 - o.label_smoothing), mul(smooth_reduced, o.label_smoothing / C));
}

}  // namespace functional

// ---- modules ---------------------------------------------------------------------

BCELoss::BCELoss(const Tensor& weight, Reduction reduction) : weight_(weight), reduction_(reduction) {
    if (weight.defined()) register_buffer("weight", weight);
}

Tensor BCELoss::forward(const Tensor& input, const Tensor& target) const {
    return functional::binary_cross_entropy(input, target, weight_, reduction_);
}

BCEWithLogitsLoss::BCEWithLogitsLoss(const Tensor& weight, Reduction reduction, const Tensor& pos_weight)
    : weight_(weight), pos_weight_(pos_weight), reduction_(reduction) {
    if (weight.defined()) register_buffer("weight", weight);
    if (pos_weight.defined()) register_buffer("pos_weight", pos_weight);
}

Tensor BCEWithLogitsLoss::forward(const Tensor& input, const Tensor& target) const {
    return functional::binary_cross_entropy_with_logits(input, target, weight_, reduction_, pos_weight_);
}

NLLLoss::NLLLoss(const NLLLossOptions& options) : options_(options) {
    if (options.weight.defined()) register_buffer("weight", options.weight);
}

Tensor NLLLoss::forward(const Tensor& input, const Tensor& target) const {
    return functional::nll_loss(input, target, options_);
}

CrossEntropyLoss::CrossEntropyLoss(const CrossEntropyLossOptions& options) : options_(options) {
    if (options.weight.defined()) register_buffer("weight", options.weight);
}

Tensor CrossEntropyLoss::forward(const Tensor& input, const Tensor& target) const {
    return functional::cross_entropy(input, target, options_);
}

}  // namespace peso::nn
