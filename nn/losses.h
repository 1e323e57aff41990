#pragma once
// Loss functions (functional and as modules), with PyTorch's formulas,
// reductions and defaults.
#include <cstdint>

#include "nn/module.h"

namespace peso::nn {

enum class Reduction { None, Mean, Sum };

struct NLLLossOptions {
    Tensor weight;                     // (C) per-class weights, or undefined
    std::int64_t ignore_index = -100;  // targets equal to it add nothing (and count nothing for Mean)
    Reduction reduction = Reduction::Mean;
};

struct CrossEntropyLossOptions {
    Tensor weight;  // (C) per-class weights, or undefined
    std::int64_t ignore_index = -100;
    Reduction reduction = Reduction::Mean;
    double label_smoothing = 0.0;  // in [0, 1]
};

namespace functional {

// (input - target)^2; input and target must have the same shape.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);

// -w * (y * log(x) + (1 - y) * log(1 - x)) on probabilities x in [0, 1], each
// log clamped at -100 as PyTorch does (so x = 0 or 1 give finite losses).
// weight broadcasts to input.
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight = {},
                            Reduction reduction = Reduction::Mean);

// BCE on logits, stable for any |x|: (1 - y) * x + l * softplus(-x) with
// l = 1 + (pos_weight - 1) * y (pos_weight broadcasts along the last dim);
// without pos_weight this is max(x, 0) - x * y + log1p(exp(-|x|)).
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight = {},
                                        Reduction reduction = Reduction::Mean, const Tensor& pos_weight = {});

// Negative log-likelihood of class-index targets. input: log-probabilities
// (N, C), (N, C, d1, ...) or (C); target: int64/int32 (N), (N, d1, ...) or ().
// loss_n = -weight[t_n] * input[n, t_n]; Mean divides the sum by the sum of
// weight[t_n] over targets that are not ignore_index.
Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossOptions& options = {});

// log_softmax over dim 1 (dim 0 for unbatched (C) input) followed by
// nll_loss, with label smoothing as PyTorch:
//   (1 - eps) * nll + eps / C * smooth,  smooth_n = -sum_c weight[c] * logp[n, c]
// (ignored targets contribute 0; Mean divides smooth by the same weight sum as nll).
// A floating target shaped like input holds class probabilities instead.
Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyLossOptions& options = {});

}  // namespace functional

class MSELoss : public Module {
public:
    explicit MSELoss(Reduction reduction = Reduction::Mean) : reduction_(reduction) {}
    Tensor forward(const Tensor& input, const Tensor& target) const {
        return functional::mse_loss(input, target, reduction_);
    }
    std::string type_name() const override { return "MSELoss"; }

private:
    Reduction reduction_;
};

// The weight (and pos_weight) tensors are registered as buffers, as PyTorch does.
class BCELoss : public Module {
public:
    explicit BCELoss(const Tensor& weight = {}, Reduction reduction = Reduction::Mean);
    Tensor forward(const Tensor& input, const Tensor& target) const;
    std::string type_name() const override { return "BCELoss"; }

private:
    Tensor weight_;
    Reduction reduction_;
};

class BCEWithLogitsLoss : public Module {
public:
    explicit BCEWithLogitsLoss(const Tensor& weight = {}, Reduction reduction = Reduction::Mean,
                               const Tensor& pos_weight = {});
    Tensor forward(const Tensor& input, const Tensor& target) const;
    std::string type_name() const override { return "BCEWithLogitsLoss"; }

private:
    Tensor weight_, pos_weight_;
    Reduction reduction_;
};

class NLLLoss : public Module {
public:
    explicit NLLLoss(const NLLLossOptions& options = {});
    Tensor forward(const Tensor& input, const Tensor& target) const;
    std::string type_name() const override { return "NLLLoss"; }

private:
    NLLLossOptions options_;
};

class CrossEntropyLoss : public Module {
public:
    explicit CrossEntropyLoss(const CrossEntropyLossOptions& options = {});
    Tensor forward(const Tensor& input, const Tensor& target) const;
    std::string type_name() const override { return "CrossEntropyLoss"; }

private:
    CrossEntropyLossOptions options_;
};

}  // namespace peso::nn
