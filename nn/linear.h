#pragma once
// Linear: y = x W^T + b, as torch.nn.Linear.
#include "nn/module.h"

namespace peso::nn {

namespace functional {
// x (*, in) @ weight (out, in)^T + bias (out); bias may be undefined.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = {});
}  // namespace functional

class Linear : public Module {
public:
    // weight (out, in) ~ U(-1/sqrt(in), 1/sqrt(in)) (PyTorch's kaiming_uniform
    // with a = sqrt(5)), bias ~ the same bound.
    Linear(std::int64_t in_features, std::int64_t out_features, bool bias = true, DType dtype = kDefaultDType,
           Generator* gen = nullptr);
    // A Linear whose parameter IS `weight` (out, in) (and `bias`, if given):
    // no copy, so it shares the tensor with whoever else holds it, e.g. an
    // output projection tied to an Embedding's weight (vocab, dim):
    //     auto head = std::make_shared<Linear>(wte->weight);
    // Like nn.Parameter(t), this makes the tensor require grad.
    explicit Linear(const Tensor& weight, const Tensor& bias = {});

    Tensor forward(const Tensor& x) const;

    // Ties the weight to `w` (same shape), e.g. lm_head->tie_weight(wte->weight).
    // Equivalent to replace_parameter("weight", w); w's requires_grad is left
    // as it is (a frozen embedding stays frozen). The module's parameter
    // list then holds the shared tensor, and named_parameters() of a model
    // holding both lists it once, under the name registered first.
    void tie_weight(const Tensor& w) { replace_parameter("weight", w); }
    void replace_parameter(const std::string& name, const Tensor& t) override;

    std::int64_t in_features() const { return in_features_; }
    std::int64_t out_features() const { return out_features_; }
    std::string type_name() const override { return "Linear"; }
    std::string extra_repr() const override;

    Tensor weight;  // (out_features, in_features)
    Tensor bias;    // (out_features) or undefined

private:
    std::int64_t in_features_, out_features_;
};

}  // namespace peso::nn
