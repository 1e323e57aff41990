#pragma once
// The files of a GPT checkpoint directory written by `peso gpt train` and `import`:
//   config.json                the model's hyperparameters
//   tokenizer.json             the tokenizer (char vocabulary or "gpt2")
//   model.safetensors          the weights (Hugging Face / nanoGPT names; the tied lm_head stored once)
//   train_state.safetensors    what --resume needs besides them: optimizer moments, scheduler, RNG, step,
//                              the batch position and the run's settings (train only)
//   checkpoint.json            the manifest of the last save: the files above are replaced as one set
//                              (nn/serialization/file_set.h), so a crash leaves the new set or the previous one
//   metrics.csv, train_log.csv, loss.png   the loss curves (not part of the set)
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "models/gpt/gpt.h"
#include "nn/serialization/file_set.h"
#include "nn/serialization/safetensors.h"
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
// The files of the checkpoint in `dir`, by name (config.json, ...), wherever its last save left them.
nn::FileSetReader checkpoint_files(const fs::path& dir);
// Loads config, tokenizer and weights from a checkpoint directory; clear
// errors for a missing directory or file, or files that do not match.
LoadedGpt load_gpt_dir(const fs::path& dir);
// Writes a checkpoint into the directory `dir` (which must exist) as one set:
// config.json, tokenizer.json, model.safetensors (its metadata "peso.step" is
// `step` when step >= 0) and, when write_train_state is given, the
// train_state.safetensors it writes at the path it is given. A file of the
// previous set that this one lacks (a train_state under an import) is removed.
void save_gpt_dir(const fs::path& dir, const models::GptConfig& config, const nn::NamedTensors& state,
                  const std::string& tokenizer_json, std::int64_t step = -1,
                  const std::function<void(const fs::path&)>& write_train_state = {});

}  // namespace peso::cli
