#pragma once
// LayerNorm over the trailing `normalized_shape` dims, as torch.nn.LayerNorm.
#include "nn/module.h"

namespace peso::nn {

namespace functional {
// weight and bias (shaped normalized_shape) may be undefined.
Tensor layer_norm(const Tensor& x, const Dims& normalized_shape, const Tensor& weight = {}, const Tensor& bias = {},
                  double eps = 1e-5);
}  // namespace functional

class LayerNorm : public Module {
public:
    // weight ones and bias zeros (when elementwise_affine; bias only when `bias`).
    explicit LayerNorm(const Dims& normalized_shape, double eps = 1e-5, bool elementwise_affine = true,
                       bool bias = true, DType dtype = kDefaultDType);
    explicit LayerNorm(std::int64_t normalized_size, double eps = 1e-5, bool elementwise_affine = true,
                       bool bias = true, DType dtype = kDefaultDType)
        : LayerNorm(Dims{normalized_size}, eps, elementwise_affine, bias, dtype) {}

    Tensor forward(const Tensor& x) const;

    void replace_parameter(const std::string& name, const Tensor& t) override;

    const Dims& normalized_shape() const { return normalized_shape_; }
    double eps() const { return eps_; }
    std::string type_name() const override { return "LayerNorm"; }
    std::string extra_repr() const override;

    Tensor weight;  // normalized_shape, or undefined
    Tensor bias;    // normalized_shape, or undefined

private:
    Dims normalized_shape_;
    double eps_;
};

}  // namespace peso::nn
