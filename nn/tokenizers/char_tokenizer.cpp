#include "nn/tokenizers/char_tokenizer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "core/error.h"
#include "nn/serialization/safetensors.h"
#include "nn/tokenizers/utf8.h"

namespace peso::nn {

namespace {

constexpr int kJsonVersion = 1;

// The code points of valid UTF-8 text; ValueError at the first bad byte.
std::vector<char32_t> decode_strict(std::string_view text, std::string_view what) {
    std::vector<char32_t> out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const utf8::Decoded d = utf8::decode_at(text, i);
        PESO_CHECK(d.valid, ValueError, "{}: invalid UTF-8 at byte offset {} (bytes {}); the text must be UTF-8",
                   what, i, utf8::describe_bytes(text, i, std::max<std::size_t>(d.len, 1)));
        out.push_back(d.cp);
        i += d.len;
    }
    return out;
}

}  // namespace

CharTokenizer::CharTokenizer(std::vector<char32_t> chars) : chars_(std::move(chars)) {
    PESO_CHECK(!chars_.empty(), ValueError, "CharTokenizer: the vocabulary is empty");
    for (std::size_t k = 0; k < chars_.size(); ++k) {
        const char32_t c = chars_[k];
        PESO_CHECK(c <= 0x10FFFF && !(c >= 0xD800 && c <= 0xDFFF), ValueError,
                   "CharTokenizer: {} at vocabulary index {} is not a Unicode scalar value", utf8::describe(c), k);
        PESO_CHECK(k == 0 || chars_[k - 1] < c, ValueError,
                   "CharTokenizer: the vocabulary must be strictly increasing, but {} follows {} at index {}",
                   utf8::describe(c), utf8::describe(chars_[k - 1]), k);
    }
    ascii_ids_.fill(-1);
    for (std::size_t k = 0; k < chars_.size() && chars_[k] < 128; ++k) ascii_ids_[chars_[k]] = static_cast<int>(k);
}

CharTokenizer CharTokenizer::from_text(std::string_view corpus) {
    PESO_CHECK(!corpus.empty(), ValueError, "CharTokenizer::from_text: the corpus is empty");
    std::vector<char32_t> chars = decode_strict(corpus, "CharTokenizer::from_text");
    std::sort(chars.begin(), chars.end());
    chars.erase(std::unique(chars.begin(), chars.end()), chars.end());
    return CharTokenizer(std::move(chars));
}

int CharTokenizer::id_of(char32_t cp) const {
    if (cp < 128) return ascii_ids_[cp];
    const auto it = std::lower_bound(chars_.begin(), chars_.end(), cp);
    return it != chars_.end() && *it == cp ? static_cast<int>(it - chars_.begin()) : -1;
}

std::vector<int> CharTokenizer::encode(std::string_view text) const {
    std::vector<int> ids;
    ids.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        if (const auto b = static_cast<unsigned char>(text[i]); b < 128 && ascii_ids_[b] >= 0) {
            ids.push_back(ascii_ids_[b]);
            ++i;
            continue;
        }
        const utf8::Decoded d = utf8::decode_at(text, i);
        PESO_CHECK(d.valid, ValueError, "CharTokenizer::encode: invalid UTF-8 at byte offset {} (bytes {})", i,
                   utf8::describe_bytes(text, i, d.len));
        const int id = id_of(d.cp);
        PESO_CHECK(id >= 0, ValueError,
                   "CharTokenizer::encode: character {} at position {} (byte offset {}) is not in the vocabulary "
                   "of {} characters",
                   utf8::describe(d.cp), ids.size(), i, chars_.size());
        ids.push_back(id);
        i += d.len;
    }
    return ids;
}

std::string CharTokenizer::decode(std::span<const int> ids) const {
    std::string out;
    out.reserve(ids.size());
    for (std::size_t k = 0; k < ids.size(); ++k) {
        const int id = ids[k];
        PESO_CHECK(id >= 0 && id < vocab_size(), IndexError,
                   "CharTokenizer::decode: token id {} at position {} is outside the vocabulary [0, {})", id, k,
                   vocab_size());
        utf8::append(out, chars_[static_cast<std::size_t>(id)]);
    }
    return out;
}

std::string CharTokenizer::to_json() const {
    std::string chars;
    for (const char32_t c : chars_) utf8::append(chars, c);
    nlohmann::ordered_json j;
    j["type"] = "char";
    j["version"] = kJsonVersion;
    j["chars"] = chars;
    return j.dump();
}

CharTokenizer CharTokenizer::from_json(std::string_view json) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(json);
    } catch (const nlohmann::json::exception& e) {
        throw ValueError(fmt::format("CharTokenizer::from_json: not valid JSON: {}", e.what()));
    }
    PESO_CHECK(j.is_object() && j.contains("type") && j["type"] == "char", ValueError,
               "CharTokenizer::from_json: expected an object with \"type\": \"char\"");
    PESO_CHECK(j.contains("version") && j["version"] == kJsonVersion, ValueError,
               "CharTokenizer::from_json: unsupported version (expected {})", kJsonVersion);
    PESO_CHECK(j.contains("chars") && j["chars"].is_string(), ValueError,
               "CharTokenizer::from_json: \"chars\" must be a string");
    const auto& chars = j["chars"].get_ref<const std::string&>();
    return CharTokenizer(decode_strict(chars, "CharTokenizer::from_json: \"chars\""));
}

void CharTokenizer::save(const std::filesystem::path& path) const {
    const std::string json = to_json() + "\n";
    write_file_atomically(path.string(), json.data(), json.size());
}

CharTokenizer CharTokenizer::load(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    PESO_CHECK(in, IOError, "CharTokenizer::load: cannot open {}", path.string());
    const std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    try {
        return from_json(json);
    } catch (const ValueError& e) {
        throw IOError(fmt::format("CharTokenizer::load: {}: {}", path.string(), e.what()));
    }
}

}  // namespace peso::nn
