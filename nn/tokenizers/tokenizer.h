#pragma once
// What every tokenizer offers the GPT and the `peso` command line: text (UTF-8)
// to token ids and back, and a JSON description that a checkpoint stores so
// that the same tokenizer comes back with the weights.
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace peso::nn {

class Tokenizer {
public:
    virtual ~Tokenizer() = default;

    virtual std::vector<int> encode(std::string_view text) const = 0;
    virtual std::string decode(std::span<const int> ids) const = 0;
    virtual int vocab_size() const = 0;
    // "char" or "gpt2": the "type" field of to_json().
    virtual std::string type() const = 0;
    // A JSON object with a "type" field; tokenizer_from_json() reads it back.
    virtual std::string to_json() const = 0;
};

// Rebuilds a tokenizer from Tokenizer::to_json() output. A "gpt2" tokenizer's
// files are read from `gpt2_dir` (see default_gpt2_bpe_dir()).
// Throws ValueError on malformed JSON or an unknown type.
std::unique_ptr<Tokenizer> tokenizer_from_json(std::string_view json, const std::filesystem::path& gpt2_dir);
std::unique_ptr<Tokenizer> tokenizer_from_json(std::string_view json);

}  // namespace peso::nn
