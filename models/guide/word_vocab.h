#pragma once
// A word-level vocabulary for the chapter programs' small corpora: words are
// split on whitespace, and four special tokens come first (padding, start and
// end of sentence, unknown word), so that their ids are the same in every
// vocabulary and a padding id of 0 can be ignored by the loss.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "peso.h"

namespace peso::models {

using Sentence = std::vector<std::string>;

// The whitespace-separated words of a line.
Sentence split_words(std::string_view line);

class WordVocab {
public:
    static constexpr std::int64_t kPad = 0, kBos = 1, kEos = 2, kUnk = 3;

    // The specials, then every distinct word of `sentences` in sorted order
    // (so the ids do not depend on the order of the corpus).
    explicit WordVocab(const std::vector<Sentence>& sentences);

    std::int64_t size() const { return static_cast<std::int64_t>(words_.size()); }
    // The id of a word, kUnk if it is not in the vocabulary.
    std::int64_t id(const std::string& word) const;
    // IndexError outside [0, size()).
    const std::string& word(std::int64_t id) const;

    std::vector<std::int64_t> encode(const Sentence& words) const;
    // The words of `ids` joined by spaces, leaving out padding and the
    // start/end markers.
    std::string decode(std::span<const std::int64_t> ids) const;

private:
    std::vector<std::string> words_;
    std::unordered_map<std::string, std::int64_t> ids_;
};

}  // namespace peso::models
