#pragma once
// The files of a GPT checkpoint directory written by `peso gpt train`:
//   config.json                the model's hyperparameters
//   tokenizer.json             the tokenizer (char vocabulary or "gpt2")
//   model.safetensors          the weights (Hugging Face / nanoGPT names)
//   train_state.safetensors    weights + optimizer + scheduler + RNG + step, for --resume
//   metrics.csv, loss.png      the loss curve
#include <filesystem>
#include <memory>
#include <string>

#include "models/gpt/gpt.h"
#include "nn/tokenizers/tokenizer.h"

namespace peso::cli {

namespace fs = std::filesystem;

struct LoadedGpt {
    std::shared_ptr<models::Gpt> model;
    std::unique_ptr<nn::Tokenizer> tokenizer;
};

std::string read_text_file(const fs::path& path);  // IOError when missing, unreadable or empty
void write_text_file(const fs::path& path, const std::string& text);
// config.json and tokenizer.json of a checkpoint, parsed and checked; errors name the file.
models::GptConfig read_config_file(const fs::path& path);
std::unique_ptr<nn::Tokenizer> read_tokenizer_file(const fs::path& path);
// Loads config, tokenizer and weights from a checkpoint directory; clear
// errors for a missing directory or file, or files that do not match.
LoadedGpt load_gpt_dir(const fs::path& dir);
void save_gpt_dir(const fs::path& dir, const models::Gpt& model, const nn::Tokenizer& tokenizer);

}  // namespace peso::cli
