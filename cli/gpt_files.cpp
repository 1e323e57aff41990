#include "cli/gpt_files.h"

#include <fstream>
#include <sstream>

#include "models/gpt/weights_file.h"

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

namespace {
constexpr const char* kManifest = "checkpoint.json";
constexpr const char* kWhat = "peso GPT checkpoint";
}  // namespace

nn::FileSetReader checkpoint_files(const fs::path& dir) { return nn::FileSetReader(dir, kManifest); }

LoadedGpt load_gpt_dir(const fs::path& dir) {
    PESO_CHECK(fs::is_directory(dir), IOError, "no checkpoint directory {}", dir.string());
    const nn::FileSetReader files = checkpoint_files(dir);
    const fs::path config_file = files.require("config.json", kWhat);
    const fs::path tokenizer_file = files.require("tokenizer.json", kWhat);
    const fs::path weights = files.require("model.safetensors", kWhat);
    LoadedGpt out;
    const auto config = read_config_file(config_file);
    out.tokenizer = read_tokenizer_file(tokenizer_file);
    PESO_CHECK(out.tokenizer->vocab_size() <= config.vocab_size, IOError,
               "{}: the tokenizer has {} tokens but the model only {}", dir.string(), out.tokenizer->vocab_size(),
               config.vocab_size);
    out.model = std::make_shared<models::Gpt>(config, nullptr, /*init=*/false);
    models::load_gpt_weights(*out.model, weights.string());
    return out;
}

void save_gpt_dir(const fs::path& dir, const models::GptConfig& config, const nn::NamedTensors& state,
                  const std::string& tokenizer_json, std::int64_t step,
                  const std::function<void(const fs::path&)>& write_train_state) {
    nn::FileSetWriter set(dir, kManifest,
                          {"config.json", "tokenizer.json", "model.safetensors", "train_state.safetensors"});
    write_text_file(set.stage("config.json"), config.to_json());
    write_text_file(set.stage("tokenizer.json"), tokenizer_json);
    nn::Metadata meta{{"format", "pt"}};
    if (step >= 0) meta["peso.step"] = std::to_string(step);
    models::save_gpt_weights(set.stage("model.safetensors").string(), state, meta);
    if (write_train_state) write_train_state(set.stage("train_state.safetensors"));
    set.commit(step >= 0 ? fmt::format(R"({{"step": {}}})", step) : "");
}

}  // namespace peso::cli
