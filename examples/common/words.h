#pragma once
// Word-level text for the chapter programs that work on words (topic
// classifier, skip-gram, feed-forward LMs): lower-cased words split at spaces
// and punctuation, corpus files read line by line, and a word <-> id table.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace peso::examples {

// Lower-cases ASCII and the Spanish capitals (Á É Í Ó Ú Ü Ñ) and splits at
// whitespace and punctuation (including ¿ and ¡), so "¿Come el Perro?" gives
// {"come", "el", "perro"}.
std::vector<std::string> split_words(std::string_view text);

// The non-empty lines of a UTF-8 text file that do not start with '#'.
// Throws IOError naming the file when it cannot be read or holds no line.
std::vector<std::string> read_lines(const std::filesystem::path& file);

class Vocabulary {
public:
    // `specials` (e.g. "<s>") get the first ids, in order.
    explicit Vocabulary(const std::vector<std::string>& specials = {});
    // Every word of `sentences`, in order of first appearance, after the specials.
    static Vocabulary from_sentences(const std::vector<std::vector<std::string>>& sentences,
                                     const std::vector<std::string>& specials = {});

    std::int64_t add(const std::string& word);  // its id, new or existing
    std::optional<std::int64_t> find(const std::string& word) const;
    std::int64_t id(const std::string& word) const;  // throws ValueError naming an unknown word
    const std::string& word(std::int64_t id) const;  // throws IndexError when out of range
    std::int64_t size() const { return static_cast<std::int64_t>(words_.size()); }
    // How many times from_sentences() saw each id (0 for specials).
    const std::vector<std::int64_t>& counts() const { return counts_; }

private:
    std::vector<std::string> words_;
    std::vector<std::int64_t> counts_;
    std::unordered_map<std::string, std::int64_t> ids_;
};

}  // namespace peso::examples
