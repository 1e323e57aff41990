#pragma once
// Parameter initialization, as torch.nn.init: every function fills its tensor
// in place under NoGradGuard (so it works on leaves that require grad), draws
// from `gen` or, when null, from peso::default_generator(), and returns the
// same tensor handle.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nn/module.h"

namespace peso::nn::init {

enum class FanMode { FanIn, FanOut };

// The recommended gain for a nonlinearity, as torch.nn.init.calculate_gain:
// linear/identity/conv*/sigmoid 1, tanh 5/3, relu sqrt(2),
// leaky_relu sqrt(2 / (1 + slope^2)) (slope defaults to 0.01), selu 3/4.
double calculate_gain(std::string_view nonlinearity, std::optional<double> param = std::nullopt);

// (fan_in, fan_out) of a weight of at least 2 dims: size(1) and size(0), each
// times the product of the dims after the second (a conv kernel's receptive field).
std::pair<std::int64_t, std::int64_t> calculate_fan_in_and_fan_out(const Tensor& t);

Tensor uniform_(const Tensor& t, double a = 0.0, double b = 1.0, Generator* gen = nullptr);
Tensor normal_(const Tensor& t, double mean = 0.0, double std = 1.0, Generator* gen = nullptr);
Tensor constant_(const Tensor& t, double value);
Tensor zeros_(const Tensor& t);
Tensor ones_(const Tensor& t);

// U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).
Tensor xavier_uniform_(const Tensor& t, double gain = 1.0, Generator* gen = nullptr);
// N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).
Tensor xavier_normal_(const Tensor& t, double gain = 1.0, Generator* gen = nullptr);
// U(-b, b) with b = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a).
Tensor kaiming_uniform_(const Tensor& t, double a = 0.0, FanMode mode = FanMode::FanIn,
                        std::string_view nonlinearity = "leaky_relu", Generator* gen = nullptr);
// N(0, std^2) with std = gain / sqrt(fan).
Tensor kaiming_normal_(const Tensor& t, double a = 0.0, FanMode mode = FanMode::FanIn,
                       std::string_view nonlinearity = "leaky_relu", Generator* gen = nullptr);

}  // namespace peso::nn::init
