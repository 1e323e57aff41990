#pragma once
// A GPT's hyperparameters and the named presets (minGPT's and GPT-2's).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace peso::models {

struct GptConfig {
    std::int64_t n_layer = 12;
    std::int64_t n_head = 12;
    std::int64_t n_embd = 768;
    std::int64_t block_size = 1024;
    std::int64_t vocab_size = 50257;
    double dropout = 0.0;
    bool bias = true;  // biases in Linear layers and LayerNorms, as GPT-2
    // Training only: each block's activations are recomputed during backward
    // instead of kept (autograd::checkpoint), trading about one more forward
    // per step for memory. Not part of the model: not saved in to_json().
    bool checkpoint_activations = false;

    // gpt-nano (3 layers, 3 heads, 48), gpt-micro (4, 4, 128), gpt-mini
    // (6, 6, 192), gpt2 (12, 12, 768), gpt2-medium (24, 16, 1024); block
    // size and vocabulary come from the caller (GPT-2's: 1024 and 50257).
    static GptConfig preset(std::string_view name, std::int64_t vocab_size, std::int64_t block_size = 1024);
    static std::vector<std::string> preset_names();

    // Throws ValueError naming the field when the configuration is unusable.
    void validate() const;
    std::string to_json() const;
    static GptConfig from_json(const std::string& json);  // throws ValueError on bad input
};

}  // namespace peso::models
