#pragma once
// The public, differentiable ops of peso. Each is defined once, in
// autograd/ops/, with its forward (a tensor-layer op) and its backward formula;
// when grad mode is on and an input requires grad, calling it records a node.
// The ops without gradients are in tensor/functions.h.
#include "tensor/native.h"

namespace peso {

// The differentiable ops, from the one list of their signatures (defaults
// included); each is defined in autograd/ops/.
#define PESO_OP(name, params, ...) __VA_ARGS__ name params;
#include "tensor/differentiable_ops.def"
#undef PESO_OP

/// Per-row cross-entropy of logits (N, C) against target (N) int64 class
/// indices, 0 where valid (N, bool) is false; one fused op (forward: logsumexp
/// minus the target's logit; backward: softmax minus one-hot). Targets must be
/// in [0, C) (nn::functional::cross_entropy validates them and handles ignore_index).
Tensor cross_entropy_rows(const Tensor& logits, const Tensor& target, const Tensor& valid);

/// Scaled dot-product attention as one fused op: dropout(softmax(q k^T *
/// scale, causal)) @ v, computed in tiles with an online softmax; only each
/// query's log-sum-exp is saved for the backward, which recomputes the
/// weights (and the dropout mask, from the Philox counters it reserves from
/// `gen`, the default generator when null) tile by tile. q (..., T, E), k
/// (..., S, E), v (..., S, Ev), leading dims broadcast; S and E > 0.
/// is_causal: query i attends to keys j <= i (top-left aligned). The
/// double backward goes through the composite formula (softmax of the
/// (T, S) scores). nn::functional::scaled_dot_product_attention is the
/// usual way in.
Tensor fused_attention(const Tensor& q, const Tensor& k, const Tensor& v, bool is_causal, double scale,
                       double dropout_p = 0.0, Generator* gen = nullptr);

/// In-place arithmetic (also reachable as Tensor methods): self += alpha * other,
/// other broadcast to self's shape; returns self.
Tensor& add_(Tensor& self, const Tensor& other, Scalar alpha = 1);
/// self += other; returns self.
Tensor& add_(Tensor& self, Scalar other);
/// self -= alpha * other (broadcast); returns self.
Tensor& sub_(Tensor& self, const Tensor& other, Scalar alpha = 1);
/// self -= other; returns self.
Tensor& sub_(Tensor& self, Scalar other);
/// self *= other (broadcast); returns self.
Tensor& mul_(Tensor& self, const Tensor& other);
/// self *= other; returns self.
Tensor& mul_(Tensor& self, Scalar other);
/// self /= other (broadcast); returns self.
Tensor& div_(Tensor& self, const Tensor& other);
/// self /= other; returns self.
Tensor& div_(Tensor& self, Scalar other);
/// Clamps self into [lo, hi] (an absent bound does not clamp); returns self.
Tensor& clamp_(Tensor& self, std::optional<Scalar> lo, std::optional<Scalar> hi);

/// add(a, b): elementwise, broadcasting (PyTorch-style operators, as those below).
inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
/// sub(a, b): elementwise, broadcasting.
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
/// mul(a, b): elementwise, broadcasting.
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
/// div(a, b): elementwise, broadcasting.
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
/// add(a, b): b added to each element.
inline Tensor operator+(const Tensor& a, Scalar b) { return add(a, b); }
/// sub(a, b): b subtracted from each element.
inline Tensor operator-(const Tensor& a, Scalar b) { return sub(a, b); }
/// mul(a, b): each element times b.
inline Tensor operator*(const Tensor& a, Scalar b) { return mul(a, b); }
/// div(a, b): each element divided by b.
inline Tensor operator/(const Tensor& a, Scalar b) { return div(a, b); }
/// add(b, a): a added to each element.
inline Tensor operator+(Scalar a, const Tensor& b) { return add(b, a); }
/// sub(a, b): a minus each element.
inline Tensor operator-(Scalar a, const Tensor& b) { return sub(a, b); }
/// mul(b, a): a times each element.
inline Tensor operator*(Scalar a, const Tensor& b) { return mul(b, a); }
/// div(a, b): a divided by each element.
inline Tensor operator/(Scalar a, const Tensor& b) { return div(a, b); }
/// neg(a): -x for each element.
inline Tensor operator-(const Tensor& a) { return neg(a); }

}  // namespace peso
