#pragma once
// Character-level tokenizer: the vocabulary is the sorted set of distinct
// Unicode code points of a corpus (not bytes, so that "ñ" is one token in
// Spanish text), token id = rank in that set, as in nanoGPT's
// shakespeare_char. Stored with a checkpoint as JSON.
#include <array>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "nn/tokenizers/tokenizer.h"

namespace peso::nn {

class CharTokenizer final : public Tokenizer {
public:
    // `chars` must be non-empty, strictly increasing Unicode scalar values
    // (ValueError otherwise).
    explicit CharTokenizer(std::vector<char32_t> chars);

    // The distinct code points of `corpus`. ValueError if it is empty or not
    // valid UTF-8 (naming the byte offset of the first bad byte).
    static CharTokenizer from_text(std::string_view corpus);

    // ValueError naming the character (printably) and its position (code
    // point index and byte offset) when one is outside the vocabulary; also on
    // invalid UTF-8.
    std::vector<int> encode(std::string_view text) const override;
    // IndexError on an id outside [0, vocab_size()).
    std::string decode(std::span<const int> ids) const override;
    int vocab_size() const override { return static_cast<int>(chars_.size()); }
    std::string type() const override { return "char"; }

    // {"type": "char", "version": 1, "chars": "<the vocabulary, in order, as one string>"}
    std::string to_json() const override;
    static CharTokenizer from_json(std::string_view json);  // ValueError on anything malformed

    // The JSON above in a file, written atomically; load() throws IOError
    // naming the path when it is missing or malformed.
    void save(const std::filesystem::path& path) const;
    static CharTokenizer load(const std::filesystem::path& path);

    const std::vector<char32_t>& chars() const { return chars_; }
    // Token id of a code point, or -1.
    int id_of(char32_t cp) const;

private:
    std::vector<char32_t> chars_;
    std::array<int, 128> ascii_ids_;  // the common case without a search
};

}  // namespace peso::nn
