#include "models/gpt/init.h"

#include <cmath>

#include "nn/attention.h"
#include "nn/embedding.h"
#include "nn/init.h"
#include "nn/layer_norm.h"
#include "nn/linear.h"
#include "nn/positional.h"

namespace peso::models {

using nn::Embedding;
using nn::LayerNorm;
using nn::LearnedPositionalEmbedding;
using nn::Linear;
using nn::Module;
using nn::MultiheadAttention;

void gpt2_init_(Module& model, std::int64_t n_layer,
                const std::function<bool(const std::string&)>& is_residual_projection, double std,
                Generator* gen) {
    PESO_CHECK(n_layer > 0, ValueError, "gpt2_init_: n_layer must be positive, got {}", n_layer);
    const auto weight_and_bias = [&](const Tensor& w, const Tensor& b) {
        if (w.defined()) nn::init::normal_(w, 0.0, std, gen);
        if (b.defined()) nn::init::zeros_(b);
    };
    // Children before parents, as torch's Module.apply.
    model.apply([&](Module& m) {
        if (auto* lin = dynamic_cast<Linear*>(&m)) {
            weight_and_bias(lin->weight, lin->bias);
        } else if (auto* emb = dynamic_cast<Embedding*>(&m)) {
            weight_and_bias(emb->weight, Tensor());
            if (emb->padding_idx()) {
                NoGradGuard g;
                nn::init::zeros_(emb->weight.select(0, *emb->padding_idx()));
            }
        } else if (auto* pos = dynamic_cast<LearnedPositionalEmbedding*>(&m)) {
            weight_and_bias(pos->weight, Tensor());
        } else if (auto* mha = dynamic_cast<MultiheadAttention*>(&m)) {
            weight_and_bias(mha->in_proj_weight, mha->in_proj_bias);
        } else if (auto* ln = dynamic_cast<LayerNorm*>(&m)) {
            if (ln->weight.defined()) nn::init::ones_(ln->weight);
            if (ln->bias.defined()) nn::init::zeros_(ln->bias);
        }
    });
    const double residual_std = std / std::sqrt(2.0 * static_cast<double>(n_layer));
    for (const auto& [name, p] : model.named_parameters())
        if (is_residual_projection(name)) nn::init::normal_(p, 0.0, residual_std, gen);
}

std::function<bool(const std::string&)> name_ends_with(std::vector<std::string> suffixes) {
    return [suffixes = std::move(suffixes)](const std::string& name) {
        for (const std::string& s : suffixes)
            if (name.ends_with(s)) return true;
        return false;
    };
}

}  // namespace peso::models
