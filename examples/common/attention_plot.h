#pragma once
// Attention weights as heatmaps: one panel per (layer, head), queries as rows
// and keys as columns, so that a row shows where one position reads from.
// Chapters 4 (a decoder's causal self-attention) and 5 (the encoder-decoder's
// three attentions) draw their models with it.
#include <filesystem>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace peso::examples {

// layers: one (H, queries, keys) tensor of weights per layer, on any device.
// Writes OUT/<name>.png and the numbers behind it,
// OUT/<name>_layer<l>_head<h>.dat. Returns render_png's answer.
bool plot_attention(const std::filesystem::path& out, const std::string& name, const std::string& title,
                    const std::vector<Tensor>& layers, const std::vector<std::string>& queries,
                    const std::vector<std::string>& keys);

}  // namespace peso::examples
