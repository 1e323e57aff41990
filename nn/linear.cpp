#include "nn/linear.h"

#include <cmath>

#include "nn/init.h"
#include "nn/repr.h"

namespace peso::nn {

namespace functional {

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
    PESO_CHECK(x.defined() && weight.defined(), ValueError, "linear: undefined input or weight");
    PESO_CHECK(weight.dim() == 2, ShapeError, "linear: weight must be 2-D (out, in), got shape {}", weight.sizes());
    PESO_CHECK(x.dim() >= 1 && x.size(-1) == weight.size(1), ShapeError,
               "linear: input of shape {} does not end with in_features = {} (weight shape {})", x.sizes(),
               weight.size(1), weight.sizes());
    PESO_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == weight.size(0)), ShapeError,
               "linear: bias of shape {} does not match out_features = {}", bias.sizes(), weight.size(0));
    const Tensor y = matmul(x, weight.t());
    return bias.defined() ? add(y, bias) : y;
}

}  // namespace functional

Linear::Linear(std::int64_t in_features, std::int64_t out_features, bool has_bias, DType dtype, Generator* gen)
    : in_features_(in_features), out_features_(out_features) {
    PESO_CHECK(in_features >= 0 && out_features >= 0, ValueError,
               "Linear: in_features and out_features must be >= 0, got {} and {}", in_features, out_features);
    weight = register_parameter("weight", empty({out_features, in_features}, dtype));
    init::kaiming_uniform_(weight, std::sqrt(5.0), init::FanMode::FanIn, "leaky_relu", gen);
    if (has_bias) {
        bias = register_parameter("bias", empty({out_features}, dtype));
        const double bound = in_features > 0 ? 1.0 / std::sqrt(static_cast<double>(in_features)) : 0.0;
        init::uniform_(bias, -bound, bound, gen);
    }
}

Linear::Linear(const Tensor& w, const Tensor& b) {
    PESO_CHECK(w.defined() && w.dim() == 2, ShapeError, "Linear: weight must be 2-D (out, in), got shape {}",
               w.defined() ? w.sizes() : Dims{});
    PESO_CHECK(!b.defined() || (b.dim() == 1 && b.size(0) == w.size(0)), ShapeError,
               "Linear: bias of shape {} does not match weight of shape {}", b.sizes(), w.sizes());
    out_features_ = w.size(0);
    in_features_ = w.size(1);
    weight = register_parameter("weight", w);
    if (b.defined()) bias = register_parameter("bias", b);
}

Tensor Linear::forward(const Tensor& x) const {
    PESO_CHECK(x.defined() && x.dim() >= 1 && x.size(-1) == in_features_, ShapeError,
               "Linear(in={}, out={}): input of shape {} does not end with {}", in_features_, out_features_,
               x.defined() ? x.sizes() : Dims{}, in_features_);
    return functional::linear(x, weight, bias);
}

void Linear::replace_parameter(const std::string& name, const Tensor& t) {
    const bool mine = name == "weight" || name == "bias";
    const Tensor& current = name == "weight" ? weight : bias;
    PESO_CHECK(!mine || !current.defined() || (t.defined() && t.sizes() == current.sizes()), ShapeError, "Linear.replace_parameter: '{}' has shape {}, the replacement has shape {}", name,
               current.defined() ? current.sizes() : Dims{}, t.defined() ? t.sizes() : Dims{});
    Module::replace_parameter(name, t);
    if (name == "weight") weight = t;
    if (name == "bias") bias = t;
}

std::string Linear::extra_repr() const {
    return fmt::format("in_features={}, out_features={}, bias={}", in_features_, out_features_,
                       py_bool(bias.defined()));
}

}  // namespace peso::nn
