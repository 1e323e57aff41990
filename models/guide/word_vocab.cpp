#include "models/guide/word_vocab.h"

#include <algorithm>
#include <set>
#include <sstream>

namespace peso::models {

Sentence split_words(std::string_view line) {
    std::istringstream in{std::string(line)};
    Sentence words;
    for (std::string w; in >> w;) words.push_back(w);
    return words;
}

WordVocab::WordVocab(const std::vector<Sentence>& sentences) : words_{"<pad>", "<s>", "</s>", "<unk>"} {
    std::set<std::string> distinct;
    for (const auto& s : sentences) distinct.insert(s.begin(), s.end());
    for (const auto& special : words_) distinct.erase(special);
    words_.insert(words_.end(), distinct.begin(), distinct.end());
    for (std::size_t i = 0; i < words_.size(); ++i) ids_[words_[i]] = static_cast<std::int64_t>(i);
}

std::int64_t WordVocab::id(const std::string& word) const {
    const auto it = ids_.find(word);
    return it == ids_.end() ? kUnk : it->second;
}

const std::string& WordVocab::word(std::int64_t id) const {
    PESO_CHECK(id >= 0 && id < size(), IndexError, "WordVocab: id {} outside [0, {})", id, size());
    return words_[static_cast<std::size_t>(id)];
}

std::vector<std::int64_t> WordVocab::encode(const Sentence& words) const {
    std::vector<std::int64_t> ids;
    ids.reserve(words.size());
    for (const auto& w : words) ids.push_back(id(w));
    return ids;
}

std::string WordVocab::decode(std::span<const std::int64_t> ids) const {
    std::string text;
    for (const std::int64_t i : ids) {
        if (i == kPad || i == kBos || i == kEos) continue;
        if (!text.empty()) text += ' ';
        text += word(i);
    }
    return text;
}

}  // namespace peso::models
