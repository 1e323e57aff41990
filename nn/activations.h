#pragma once
// Activation modules, as torch.nn's: each forwards to the differentiable op
// of the same name (peso::relu, peso::gelu, ...).
#include <string>

#include "nn/module.h"

namespace peso::nn {

class ReLU : public Module {
public:
    Tensor forward(const Tensor& x) const { return peso::relu(x); }
    std::string type_name() const override { return "ReLU"; }
};

// approximate: "none" (x * Phi(x), with erf) or "tanh" (GPT-2's approximation).
class GELU : public Module {
public:
    explicit GELU(std::string approximate = "none");
    Tensor forward(const Tensor& x) const { return peso::gelu(x, approximate_); }
    const std::string& approximate() const { return approximate_; }
    std::string type_name() const override { return "GELU"; }
    std::string extra_repr() const override { return "approximate='" + approximate_ + "'"; }

private:
    std::string approximate_;
};

class Tanh : public Module {
public:
    Tensor forward(const Tensor& x) const { return peso::tanh(x); }
    std::string type_name() const override { return "Tanh"; }
};

class Sigmoid : public Module {
public:
    Tensor forward(const Tensor& x) const { return peso::sigmoid(x); }
    std::string type_name() const override { return "Sigmoid"; }
};

class Softmax : public Module {
public:
    explicit Softmax(std::int64_t dim) : dim_(dim) {}
    Tensor forward(const Tensor& x) const { return peso::softmax(x, dim_); }
    std::int64_t dim() const { return dim_; }
    std::string type_name() const override { return "Softmax"; }
    std::string extra_repr() const override { return "dim=" + std::to_string(dim_); }

private:
    std::int64_t dim_;
};

class LogSoftmax : public Module {
public:
    explicit LogSoftmax(std::int64_t dim) : dim_(dim) {}
    Tensor forward(const Tensor& x) const { return peso::log_softmax(x, dim_); }
    std::int64_t dim() const { return dim_; }
    std::string type_name() const override { return "LogSoftmax"; }
    std::string extra_repr() const override { return "dim=" + std::to_string(dim_); }

private:
    std::int64_t dim_;
};

}  // namespace peso::nn
