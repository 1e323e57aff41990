#include "nn/init.h"

#include <cmath>

namespace peso::nn::init {

namespace {

void check_floating(const Tensor& t, const char* op) {
    PESO_CHECK(t.defined(), ValueError, "init.{}: undefined tensor", op);
    PESO_CHECK(t.is_floating_point(), DTypeError, "init.{}: expected a floating tensor, got {}", op, t.dtype());
}

std::int64_t fan(const Tensor& t, FanMode mode) {
    const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(t);
    return mode == FanMode::FanIn ? fan_in : fan_out;
}

}  // namespace

double calculate_gain(std::string_view nonlinearity, std::optional<double> param) {
    if (nonlinearity == "linear" || nonlinearity == "identity" || nonlinearity == "sigmoid" ||
        nonlinearity.starts_with("conv"))
        return 1.0;
    if (nonlinearity == "tanh") return 5.0 / 3.0;
    if (nonlinearity == "relu") return std::sqrt(2.0);
    if (nonlinearity == "leaky_relu") {
        const double slope = param.value_or(0.01);
        return std::sqrt(2.0 / (1.0 + slope * slope));
    }
    if (nonlinearity == "selu") return 3.0 / 4.0;
    throw ValueError(fmt::format("init.calculate_gain: unsupported nonlinearity '{}'", nonlinearity));
}

std::pair<std::int64_t, std::int64_t> calculate_fan_in_and_fan_out(const Tensor& t) {
    PESO_CHECK(t.defined() && t.dim() >= 2, ValueError,
               "init: fan in and fan out can not be computed for a tensor with fewer than 2 dims (shape {})",
               t.defined() ? t.sizes() : Dims{});
    std::int64_t receptive = 1;
    for (int d = 2; d < t.dim(); ++d) receptive *= t.size(d);
    return {t.size(1) * receptive, t.size(0) * receptive};
}

Tensor uniform_(const Tensor& t, double a, double b, Generator* gen) {
    check_floating(t, "uniform_");
    NoGradGuard g;
    Tensor h = t;
    native::uniform_(h, a, b, gen);
    return t;
}

Tensor normal_(const Tensor& t, double mean, double std, Generator* gen) {
    check_floating(t, "normal_");
    PESO_CHECK(std >= 0.0, ValueError, "init.normal_: std must be >= 0, got {}", std);
    NoGradGuard g;
    Tensor h = t;
    native::normal_(h, mean, std, gen);
    return t;
}

Tensor constant_(const Tensor& t, double value) {
    PESO_CHECK(t.defined(), ValueError, "init.constant_: undefined tensor");
    NoGradGuard g;
    Tensor h = t;
    native::fill_(h, value);
    return t;
}

Tensor zeros_(const Tensor& t) { return constant_(t, 0.0); }
Tensor ones_(const Tensor& t) { return constant_(t, 1.0); }

Tensor xavier_uniform_(const Tensor& t, double gain, Generator* gen) {
    const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(t);
    const double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
    const double a = std::sqrt(3.0) * std;
    return uniform_(t, -a, a, gen);
}

Tensor xavier_normal_(const Tensor& t, double gain, Generator* gen) {
    const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(t);
    return normal_(t, 0.0, gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out)), gen);
}

Tensor kaiming_uniform_(const Tensor& t, double a, FanMode mode, std::string_view nonlinearity, Generator* gen) {
    check_floating(t, "kaiming_uniform_");
    if (t.numel() == 0) return t;  // PyTorch warns and leaves it
    const double std = calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan(t, mode)));
    const double bound = std::sqrt(3.0) * std;
    return uniform_(t, -bound, bound, gen);
}

Tensor kaiming_normal_(const Tensor& t, double a, FanMode mode, std::string_view nonlinearity, Generator* gen) {
    check_floating(t, "kaiming_normal_");
    if (t.numel() == 0) return t;
    const double std = calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan(t, mode)));
    return normal_(t, 0.0, std, gen);
}

}  // namespace peso::nn::init
