#include "nn/layer_norm.h"

#include "nn/repr.h"

namespace peso::nn {

namespace {

std::string dims_tuple(const Dims& d) {
    std::string s = "(";
    for (int i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
    return s + (d.size() == 1 ? ",)" : ")");
}

}  // namespace

namespace functional {

Tensor layer_norm(const Tensor& x, const Dims& normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps) {
    PESO_CHECK(x.defined(), ValueError, "layer_norm: undefined input");
    const int n = normalized_shape.size();
    bool trailing_match = n >= 1 && x.dim() >= n;
    for (int i = 0; trailing_match && i < n; ++i) trailing_match = x.size(x.dim() - n + i) == normalized_shape[i];
    PESO_CHECK(trailing_match, ShapeError, "layer_norm: input of shape {} does not end with normalized_shape {}",
               x.sizes(), normalized_shape);
    for (const Tensor* p : {&weight, &bias})
        PESO_CHECK(!p->defined() || p->sizes() == normalized_shape, ShapeError,
                   "layer_norm: weight/bias of shape {} must have the normalized_shape {}", p->sizes(),
                   normalized_shape);
    return std::get<0>(peso::layer_norm(x, normalized_shape, weight, bias, eps));
}

}  // namespace functional

LayerNorm::LayerNorm(const Dims& normalized_shape, double eps, bool elementwise_affine, bool has_bias, DType dtype)
    : normalized_shape_(normalized_shape), eps_(eps) {
    PESO_CHECK(!normalized_shape.empty(), ValueError, "LayerNorm: normalized_shape must have at least one dim");
    if (elementwise_affine) {
        weight = register_parameter("weight", ones(normalized_shape, dtype));
        if (has_bias) bias = register_parameter("bias", zeros(normalized_shape, dtype));
    }
}

Tensor LayerNorm::forward(const Tensor& x) const {
    const int n = normalized_shape_.size();
    bool ok = x.defined() && x.dim() >= n;
    for (int i = 0; ok && i < n; ++i) ok = x.size(x.dim() - n + i) == normalized_shape_[i];
    PESO_CHECK(ok, ShapeError, "LayerNorm{}: input of shape {} does not end with the normalized shape {}",
               dims_tuple(normalized_shape_), x.defined() ? x.sizes() : Dims{}, normalized_shape_);
    return functional::layer_norm(x, normalized_shape_, weight, bias, eps_);
}

void LayerNorm::replace_parameter(const std::string& name, const Tensor& t) {
    PESO_CHECK((name != "weight" && name != "bias") || (t.defined() && t.sizes() == normalized_shape_), ShapeError,
               "LayerNorm.replace_parameter: '{}' must have shape {}, the replacement has shape {}", name,
               normalized_shape_, t.defined() ? t.sizes() : Dims{});
    Module::replace_parameter(name, t);
    if (name == "weight") weight = t;
    if (name == "bias") bias = t;
}

std::string LayerNorm::extra_repr() const {
    return fmt::format("{}, eps={}, elementwise_affine={}", dims_tuple(normalized_shape_), py_float(eps_),
                       py_bool(weight.defined()));
}

}  // namespace peso::nn
