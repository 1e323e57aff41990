#pragma once
// Dropout, as torch.nn.Dropout: in training, zeroes each element with
// probability p and scales the rest by 1 / (1 - p); in evaluation, identity.
#include "nn/module.h"

namespace peso::nn {

namespace functional {
// The mask comes from `gen` (null: the default generator), so a seed fixes it.
Tensor dropout(const Tensor& x, double p = 0.5, bool training = true, Generator* gen = nullptr);
}  // namespace functional

class Dropout : public Module {
public:
    explicit Dropout(double p = 0.5);

    Tensor forward(const Tensor& x) const { return functional::dropout(x, p_, is_training()); }

    double p() const { return p_; }
    std::string type_name() const override { return "Dropout"; }
    std::string extra_repr() const override;

private:
    double p_;
};

}  // namespace peso::nn
