#pragma once
// Multinomial logistic (softmax) regression: p(y = k | x) = softmax(W x + b)_k
// over K classes, trained on the negative log-likelihood of the right class.
// The topic classifier of the guide's first chapter feeds it bag-of-words
// vectors.
#include <cstdint>
#include <memory>

#include "nn/linear.h"

namespace peso::models {

class SoftmaxRegression : public nn::Module {
public:
    SoftmaxRegression(std::int64_t in_features, std::int64_t num_classes, DType dtype = kDefaultDType,
                      Generator* gen = nullptr);

    // x (N, F) -> z (N, K): the logits W x + b of each class.
    Tensor logits(const Tensor& x) const;
    // x (N, F) -> (N, K): log p(y = k | x) = z_k - log sum_j exp(z_j).
    Tensor forward(const Tensor& x) const;
    // Mean negative log-likelihood of the classes y (N) int64.
    Tensor loss(const Tensor& x, const Tensor& y) const;
    // x (N, F) -> (N) int64: the most probable class.
    Tensor predict(const Tensor& x) const;

    std::string type_name() const override { return "SoftmaxRegression"; }

    std::shared_ptr<nn::Linear> linear;  // weight (K, F), bias (K)
};

}  // namespace peso::models
