#pragma once
// UTF-8 for the tokenizers: decoding with the WHATWG Encoding Standard's
// error handling (what browsers' and node's TextDecoder do), so that invalid
// input is treated exactly as the JavaScript reference encoder sees it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace peso::nn::utf8 {

inline constexpr char32_t kReplacement = 0xFFFD;

struct Decoded {
    char32_t cp;        // kReplacement when !valid
    std::uint32_t len;  // bytes consumed, >= 1
    bool valid;
};

// Decodes the sequence starting at s[i] (i < s.size()). An ill-formed
// sequence yields U+FFFD and consumes its maximal subpart: the longest prefix
// that could start a valid sequence, or one byte when none could (so
// overlongs, surrogates and values above U+10FFFF give one U+FFFD per byte).
Decoded decode_at(std::string_view s, std::size_t i);

// Byte offset of the first ill-formed sequence, or std::string_view::npos.
std::size_t first_invalid(std::string_view s);
inline bool is_valid(std::string_view s) { return first_invalid(s) == std::string_view::npos; }

// `s` with each maximal ill-formed subpart replaced by U+FFFD, as
// new TextDecoder("utf-8").decode(bytes) gives it.
std::string sanitize(std::string_view s);

// Appends the UTF-8 encoding of a Unicode scalar value.
void append(std::string& out, char32_t cp);

// Human-readable name of a code point for error messages, e.g. "'ñ' (U+00F1)",
// "'\n' (U+000A)" or "U+200B" for invisible ones.
std::string describe(char32_t cp);

// "0xC3 0x28": the bytes of an ill-formed sequence, for error messages.
std::string describe_bytes(std::string_view s, std::size_t i, std::size_t n);

}  // namespace peso::nn::utf8
