#pragma once
// A GPT's weights in peso's own safetensors file (model.safetensors of a
// checkpoint directory): Gpt::state_dict()'s names and layout, with the LM
// head stored once: its weight IS the token embedding's, so lm_head.weight is
// left out (as in Hugging Face's gpt2 files), which nearly halves the file of
// a small model with GPT-2's 50257-token vocabulary.
#include <string>

#include "models/gpt/gpt.h"
#include "nn/serialization/safetensors.h"

namespace peso::models {

// `state`: Gpt::state_dict() order and names (lm_head.weight, if present, is dropped).
void save_gpt_weights(const std::string& path, const nn::NamedTensors& state, const nn::Metadata& metadata = {});

// Loads `path` into `model` (built with the file's config) and returns the
// file's metadata. The file may hold lm_head.weight (peso wrote it until the
// tie was stored once); it must then equal wte.weight byte for byte, else
// IOError: such a file is not a tied GPT. Every error names the file; a failed
// load leaves the model unchanged.
nn::Metadata load_gpt_weights(Gpt& model, const std::string& path);

}  // namespace peso::models
