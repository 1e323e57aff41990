#include "cli/gpt_files.h"

#include <fstream>
#include <sstream>

#include "nn/serialization/module_io.h"
#include "nn/serialization/safetensors.h"

namespace peso::cli {

std::string read_text_file(const fs::path& path) {
    PESO_CHECK(fs::exists(path), IOError, "no such file: {}", path.string());
    PESO_CHECK(fs::is_regular_file(path), IOError, "not a regular file: {}", path.string());
    std::ifstream in(path, std::ios::binary);
    PESO_CHECK(in.good(), IOError, "cannot read {}", path.string());
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    PESO_CHECK(!text.empty(), IOError, "{} is empty", path.string());
    return text;
}

void write_text_file(const fs::path& path, const std::string& text) {
    nn::write_file_atomically(path.string(), text.data(), text.size());
}

namespace {
// Runs `parse`, naming `path` in the error it throws.
template <typename F> auto naming_file(const fs::path& path, F&& parse) {
    try {
        return parse();
    } catch (const IOError&) {
        throw;
    } catch (const Error& e) {
        throw IOError(fmt::format("{}: {}", path.string(), e.what()));
    }
}
}  // namespace

models::GptConfig read_config_file(const fs::path& path) {
    const std::string text = read_text_file(path);
    return naming_file(path, [&] { return models::GptConfig::from_json(text); });
}

std::unique_ptr<nn::Tokenizer> read_tokenizer_file(const fs::path& path) {
    const std::string text = read_text_file(path);
    return naming_file(path, [&] { return nn::tokenizer_from_json(text); });
}

LoadedGpt load_gpt_dir(const fs::path& dir) {
    PESO_CHECK(fs::is_directory(dir), IOError, "no checkpoint directory {}", dir.string());
    for (const char* f : {"config.json", "tokenizer.json", "model.safetensors"})
        PESO_CHECK(fs::exists(dir / f), IOError, "{} is not a peso GPT checkpoint: {} is missing", dir.string(), f);
    LoadedGpt out;
    const auto config = read_config_file(dir / "config.json");
    out.tokenizer = read_tokenizer_file(dir / "tokenizer.json");
    PESO_CHECK(out.tokenizer->vocab_size() <= config.vocab_size, IOError,
               "{}: the tokenizer has {} tokens but the model only {}", dir.string(), out.tokenizer->vocab_size(),
               config.vocab_size);
    out.model = std::make_shared<models::Gpt>(config, nullptr, /*init=*/false);
    nn::load_module(*out.model, (dir / "model.safetensors").string());
    return out;
}

void save_gpt_dir(const fs::path& dir, const models::Gpt& model, const nn::Tokenizer& tokenizer) {
    fs::create_directories(dir);
    write_text_file(dir / "config.json", model.config().to_json());
    write_text_file(dir / "tokenizer.json", tokenizer.to_json());
    nn::save_module(model, (dir / "model.safetensors").string(), {{"format", "pt"}});
}

}  // namespace peso::cli
