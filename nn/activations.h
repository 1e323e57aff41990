#pragma once
// Activation modules, as torch.nn's: each forwards to the differentiable op
// of the same name (peso::relu, peso::gelu, ...).
#include <fmt/format.h>

#include <string>

#include "nn/module.h"

namespace peso::nn {

class ReLU : public Module {
public:
    Tensor forward(const Tensor& x) const { return peso::relu(x); }
    std::string type_name() const override { return "ReLU"; }
};

// x where x > 0, negative_slope * x elsewhere.
class LeakyReLU : public Module {
public:
    explicit LeakyReLU(double negative_slope = 0.01) : negative_slope_(negative_slope) {}
    Tensor forward(const Tensor& x) const { return peso::leaky_relu(x, negative_slope_); }
    double negative_slope() const { return negative_slope_; }
    std::string type_name() const override { return "LeakyReLU"; }
    std::string extra_repr() const override { return fmt::format("negative_slope={}", negative_slope_); }

private:
    double negative_slope_;
};

// log(1 + exp(beta x)) / beta, x where beta x > threshold.
class Softplus : public Module {
public:
    explicit Softplus(double beta = 1.0, double threshold = 20.0) : beta_(beta), threshold_(threshold) {}
    Tensor forward(const Tensor& x) const { return peso::softplus(x, beta_, threshold_); }
    std::string type_name() const override { return "Softplus"; }
    std::string extra_repr() const override { return fmt::format("beta={}, threshold={}", beta_, threshold_); }

private:
    double beta_, threshold_;
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
