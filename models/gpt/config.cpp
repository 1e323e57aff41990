#include "models/gpt/config.h"

#include <cstdint>
#include <limits>

#include <nlohmann/json.hpp>

#include "core/checked_size.h"
#include "core/error.h"

namespace peso::models {

namespace {
struct Preset {
    const char* name;
    std::int64_t n_layer, n_head, n_embd;
};
constexpr Preset kPresets[] = {{"gpt-nano", 3, 3, 48},
                               {"gpt-micro", 4, 4, 128},
                               {"gpt-mini", 6, 6, 192},
                               {"gpt2", 12, 12, 768},
                               {"gpt2-medium", 24, 16, 1024}};
}  // namespace

GptConfig GptConfig::preset(std::string_view name, std::int64_t vocab_size, std::int64_t block_size) {
    for (const Preset& p : kPresets) {
        if (name != p.name) continue;
        GptConfig c;
        c.n_layer = p.n_layer;
        c.n_head = p.n_head;
        c.n_embd = p.n_embd;
        c.vocab_size = vocab_size;
        c.block_size = block_size;
        return c;
    }
    std::string names;
    for (const Preset& p : kPresets) names += std::string(names.empty() ? "" : ", ") + p.name;
    throw ValueError(fmt::format("unknown GPT preset '{}' (available: {})", name, names));
}

std::vector<std::string> GptConfig::preset_names() {
    std::vector<std::string> out;
    for (const Preset& p : kPresets) out.emplace_back(p.name);
    return out;
}

void GptConfig::validate() const {
    PESO_CHECK(n_layer > 0, ValueError, "GptConfig: n_layer must be positive, got {}", n_layer);
    PESO_CHECK(n_head > 0, ValueError, "GptConfig: n_head must be positive, got {}", n_head);
    PESO_CHECK(n_embd > 0 && n_embd % n_head == 0, ValueError,
               "GptConfig: n_embd ({}) must be a positive multiple of n_head ({})", n_embd, n_head);
    PESO_CHECK(block_size > 0, ValueError, "GptConfig: block_size must be positive, got {}", block_size);
    PESO_CHECK(vocab_size > 0, ValueError, "GptConfig: vocab_size must be positive, got {}", vocab_size);
    PESO_CHECK(dropout >= 0.0 && dropout < 1.0, ValueError, "GptConfig: dropout must be in [0, 1), got {}", dropout);
    // The parameter count, and the bytes of weights, gradients and two AdamW
    // moments, must fit 64 bits: a config read from a file is checked before
    // the model is built, not by a wrapped-around allocation.
    constexpr std::string_view what = "GptConfig: the parameter count (n_layer, n_embd, vocab_size, block_size)";
    const std::int64_t C = n_embd;
    const std::int64_t per_layer = checked_add(checked_product({12, C, C}, what), checked_mul(13, C, what), what);
    const std::int64_t embeddings = checked_mul(checked_add(vocab_size, block_size, what), C, what);
    const std::int64_t params = checked_add(checked_mul(n_layer, per_layer, what), embeddings, what);
    checked_nbytes(params, 4 * sizeof(float), what);
}

std::string GptConfig::to_json() const {
    nlohmann::ordered_json j = {{"n_layer", n_layer}, {"n_head", n_head}, {"n_embd", n_embd},
                                {"block_size", block_size}, {"vocab_size", vocab_size}, {"dropout", dropout},
                                {"bias", bias}};
    return j.dump(2);
}

namespace {

// An integer field. JSON numbers too large for 64 bits parse as doubles, whose
// conversion to an integer would be undefined: refused by name (found by
// fuzz_gpt_config, a block_size of 9e59).
std::int64_t integer_field(const nlohmann::json& j, const char* name) {
    const nlohmann::json& v = j.at(name);
    PESO_CHECK(v.is_number_integer() && (!v.is_number_unsigned() || v.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())),
               ValueError, "GPT config: {} must be an integer that fits in 64 bits, got {}", name, v.dump());
    return v.get<std::int64_t>();
}

}  // namespace

GptConfig GptConfig::from_json(const std::string& json) {
    GptConfig c;
    try {
        const auto j = nlohmann::json::parse(json);
        c.n_layer = integer_field(j, "n_layer");
        c.n_head = integer_field(j, "n_head");
        c.n_embd = integer_field(j, "n_embd");
        c.block_size = integer_field(j, "block_size");
        c.vocab_size = integer_field(j, "vocab_size");
        c.dropout = j.value("dropout", 0.0);
        c.bias = j.value("bias", true);
    } catch (const nlohmann::json::exception& e) {
        throw ValueError(fmt::format("GPT config: {}", e.what()));
    }
    c.validate();
    return c;
}

}  // namespace peso::models
