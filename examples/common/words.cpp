#include "examples/common/words.h"

#include <cctype>
#include <fstream>

#include "core/error.h"

namespace peso::examples {

namespace {

bool is_separator(unsigned char c) { return c <= ' ' || (c < 0x80 && !(std::isalnum(c) || c == '\'' || c == '-')); }

}  // namespace

std::vector<std::string> split_words(std::string_view text) {
    std::vector<std::string> words;
    std::string current;
    auto flush = [&] {
        if (!current.empty()) words.push_back(std::move(current));
        current.clear();
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        // ¿ and ¡ are C2 BF and C2 A1 in UTF-8: punctuation, not letters.
        if (c == 0xC2 && i + 1 < text.size() &&
            (static_cast<unsigned char>(text[i + 1]) == 0xBF || static_cast<unsigned char>(text[i + 1]) == 0xA1)) {
            flush();
            ++i;
            continue;
        }
        if (is_separator(c)) {
            flush();
            continue;
        }
        if (c < 0x80) {
            current.push_back(static_cast<char>(std::tolower(c)));
        } else if (c == 0xC3 && i + 1 < text.size()) {
            // Latin-1 capitals À..Þ (C3 80..C3 9E, except × at 97) are their
            // small letters minus 0x20 in the second byte.
            auto next = static_cast<unsigned char>(text[++i]);
            if (next >= 0x80 && next <= 0x9E && next != 0x97) next = static_cast<unsigned char>(next + 0x20);
            current.push_back(static_cast<char>(c));
            current.push_back(static_cast<char>(next));
        } else {
            current.push_back(static_cast<char>(c));
        }
    }
    flush();
    return words;
}

std::vector<std::string> read_lines(const std::filesystem::path& file) {
    std::ifstream in(file);
    PESO_CHECK(in.good(), IOError, "cannot read {}", file.string());
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        lines.push_back(line);
    }
    PESO_CHECK(!lines.empty(), IOError, "{} holds no text line", file.string());
    return lines;
}

Vocabulary::Vocabulary(const std::vector<std::string>& specials) {
    for (const auto& s : specials) add(s);
}

Vocabulary Vocabulary::from_sentences(const std::vector<std::vector<std::string>>& sentences,
                                      const std::vector<std::string>& specials) {
    Vocabulary v(specials);
    for (const auto& sentence : sentences)
        for (const auto& w : sentence) ++v.counts_[static_cast<std::size_t>(v.add(w))];
    return v;
}

std::int64_t Vocabulary::add(const std::string& word) {
    if (auto it = ids_.find(word); it != ids_.end()) return it->second;
    const std::int64_t id = size();
    ids_.emplace(word, id);
    words_.push_back(word);
    counts_.push_back(0);
    return id;
}

std::optional<std::int64_t> Vocabulary::find(const std::string& word) const {
    if (auto it = ids_.find(word); it != ids_.end()) return it->second;
    return std::nullopt;
}

std::int64_t Vocabulary::id(const std::string& word) const {
    const auto found = find(word);
    PESO_CHECK(found.has_value(), ValueError, "Vocabulary: unknown word '{}' ({} words known)", word, size());
    return *found;
}

const std::string& Vocabulary::word(std::int64_t id) const {
    PESO_CHECK(id >= 0 && id < size(), IndexError, "Vocabulary: id {} out of range [0, {})", id, size());
    return words_[static_cast<std::size_t>(id)];
}

}  // namespace peso::examples
