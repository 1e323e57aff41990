#include "models/guide/logistic_regression.h"

#include <fmt/format.h>

#include "nn/losses.h"

namespace peso::models {

LogisticRegression::LogisticRegression(std::int64_t in_features, DType dtype) {
    PESO_CHECK(in_features >= 1, ValueError, "LogisticRegression: in_features must be >= 1, got {}", in_features);
    weight = register_parameter("weight", zeros({in_features}, dtype));
    bias = register_parameter("bias", zeros({1}, dtype));
}

Tensor LogisticRegression::logits(const Tensor& x) const {
    PESO_CHECK(x.dim() == 2 && x.size(1) == weight.size(0), ShapeError,
               "LogisticRegression: input of shape {} is not (N, {})", x.sizes(), weight.size(0));
    // (N, F) @ (F, 1) -> (N, 1) -> (N), plus b broadcast over the N rows.
    return add(squeeze(matmul(x, unsqueeze(weight, 1)), 1), bias);
}

Tensor LogisticRegression::forward(const Tensor& x) const { return sigmoid(logits(x)); }

Tensor LogisticRegression::loss(const Tensor& x, const Tensor& y) const {
    // -mean(y log p + (1 - y) log(1 - p)), the logs clamped at -100.
    return nn::functional::binary_cross_entropy(forward(x), y);
}

LogisticGradients LogisticRegression::manual_gradients(const Tensor& x, const Tensor& y) const {
    NoGradGuard no_grad;
    const auto n = static_cast<double>(x.size(0));
    // dL/dz_i = (sigma(z_i) - y_i) / N: the sigmoid's derivative p (1 - p)
    // cancels the cross-entropy's 1 / (p (1 - p)).
    const Tensor residual = sub(forward(x), y);                                       // (N)
    const Tensor grad_w = div(squeeze(matmul(x.t(), unsqueeze(residual, 1)), 1), n);  // (F)
    const Tensor grad_b = reshape(mean(residual), {1});                               // (1)
    return {grad_w, grad_b};
}

Tensor LogisticRegression::predict(const Tensor& x) const {
    NoGradGuard no_grad;
    return to_dtype(logits(x) >= 0.0, DType::i64);
}

std::string LogisticRegression::extra_repr() const { return fmt::format("in_features={}", weight.size(0)); }

}  // namespace peso::models
