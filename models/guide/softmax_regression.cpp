#include "models/guide/softmax_regression.h"

#include "nn/losses.h"

namespace peso::models {

SoftmaxRegression::SoftmaxRegression(std::int64_t in_features, std::int64_t num_classes, DType dtype, Generator* gen) {
    PESO_CHECK(num_classes >= 2, ValueError, "SoftmaxRegression: needs at least 2 classes, got {}", num_classes);
    linear = register_module("linear", std::make_shared<nn::Linear>(in_features, num_classes, true, dtype, gen));
}

Tensor SoftmaxRegression::logits(const Tensor& x) const { return linear->forward(x); }

Tensor SoftmaxRegression::forward(const Tensor& x) const { return log_softmax(logits(x), -1); }

Tensor SoftmaxRegression::loss(const Tensor& x, const Tensor& y) const {
    // -mean_i log p(y_i | x_i): picks each row's log-probability of its class.
    return nn::functional::nll_loss(forward(x), y);
}

Tensor SoftmaxRegression::predict(const Tensor& x) const {
    NoGradGuard no_grad;
    return argmax(logits(x), -1);
}

}  // namespace peso::models
