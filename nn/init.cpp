#include "nn/init.h"

#include <cmath>

#include "nn/attention.h"
#include "nn/embedding.h"
#include "nn/layer_norm.h"
#include "nn/linear.h"
#include "nn/positional.h"

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

void gpt2_init_(Module& model, std::int64_t n_layer,
                const std::function<bool(const std::string&)>& is_residual_projection, double std,
                Generator* gen) {
    PESO_CHECK(n_layer > 0, ValueError, "init.gpt2_init_: n_layer must be positive, got {}", n_layer);
    const auto weight_and_bias = [&](const Tensor& w, const Tensor& b) {
        if (w.defined()) normal_(w, 0.0, std, gen);
        if (b.defined()) zeros_(b);
    };
    // Children before parents, as torch's Module.apply.
    model.apply([&](Module& m) {
        if (auto* lin = dynamic_cast<Linear*>(&m)) {
            weight_and_bias(lin->weight, lin->bias);
        } else if (auto* emb = dynamic_cast<Embedding*>(&m)) {
            weight_and_bias(emb->weight, Tensor());
            if (emb->padding_idx()) {
                NoGradGuard g;
                zeros_(emb->weight.select(0, *emb->padding_idx()));
            }
        } else if (auto* pos = dynamic_cast<LearnedPositionalEmbedding*>(&m)) {
            weight_and_bias(pos->weight, Tensor());
        } else if (auto* mha = dynamic_cast<MultiheadAttention*>(&m)) {
            weight_and_bias(mha->in_proj_weight, mha->in_proj_bias);
        } else if (auto* ln = dynamic_cast<LayerNorm*>(&m)) {
            if (ln->weight.defined()) ones_(ln->weight);
            if (ln->bias.defined()) zeros_(ln->bias);
        }
    });
    const double residual_std = std / std::sqrt(2.0 * static_cast<double>(n_layer));
    for (const auto& [name, p] : model.named_parameters())
        if (is_residual_projection(name)) normal_(p, 0.0, residual_std, gen);
}

std::function<bool(const std::string&)> name_ends_with(std::vector<std::string> suffixes) {
    return [suffixes = std::move(suffixes)](const std::string& name) {
        for (const std::string& s : suffixes)
            if (name.ends_with(s)) return true;
        return false;
    };
}

}  // namespace peso::nn::init
