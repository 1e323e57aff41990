#pragma once
// Binary logistic regression, the guide's first model: p(y = 1 | x) =
// sigmoid(w . x + b), trained on the mean binary cross-entropy. Besides the
// gradients autograd finds, it gives the ones derived by hand,
//   dL/dw = X^T (sigma(z) - y) / N,   dL/db = mean(sigma(z) - y),
// so that a program can train with either and compare them.
#include <cstdint>

#include "nn/module.h"

namespace peso::models {

struct LogisticGradients {
    Tensor weight;  // (F)
    Tensor bias;    // (1)
};

class LogisticRegression : public nn::Module {
public:
    // Parameters start at zero: the loss is convex, so no symmetry needs
    // breaking, and two models built alike start identical.
    explicit LogisticRegression(std::int64_t in_features, DType dtype = kDefaultDType);

    // x (N, F) -> z (N): the logits w . x + b.
    Tensor logits(const Tensor& x) const;
    // x (N, F) -> sigma(z) (N): p(y = 1 | x).
    Tensor forward(const Tensor& x) const;
    // Mean binary cross-entropy against y (N) of 0s and 1s in x's dtype.
    Tensor loss(const Tensor& x, const Tensor& y) const;
    // The gradients of loss(x, y) with respect to weight and bias, from the
    // formulas above (records no graph).
    LogisticGradients manual_gradients(const Tensor& x, const Tensor& y) const;
    // x (N, F) -> (N) int64: 1 where p(y = 1 | x) >= 0.5, that is z >= 0.
    Tensor predict(const Tensor& x) const;

    std::string type_name() const override { return "LogisticRegression"; }
    std::string extra_repr() const override;

    Tensor weight;  // (F)
    Tensor bias;    // (1)
};

}  // namespace peso::models
