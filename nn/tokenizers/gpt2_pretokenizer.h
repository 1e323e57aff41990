#pragma once
// GPT-2's pre-tokenization: the split that the pattern
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// makes (as JavaScript runs it with the `u` flag in gpt-3-encoder), written out
// by hand: no regex engine, one pass, no allocation. Private to the tokenizers.
#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>

#include "nn/tokenizers/unicode_tables.h"

namespace peso::nn::gpt2 {

using unicode::CodePointClass;

namespace detail {

constexpr std::array<CodePointClass, 128> make_ascii_classes() {
    std::array<CodePointClass, 128> t{};
    for (const auto& r : unicode::kCodePointRanges) {
        if (r.first >= 128) break;
        for (char32_t c = r.first; c <= r.last && c < 128; ++c) t[c] = r.cls;
    }
    return t;
}
inline constexpr std::array<CodePointClass, 128> kAsciiClasses = make_ascii_classes();

}  // namespace detail

inline CodePointClass classify(char32_t cp) {
    if (cp < 128) return detail::kAsciiClasses[cp];
    const auto* begin = std::begin(unicode::kCodePointRanges);
    const auto* end = std::end(unicode::kCodePointRanges);
    // The last range starting at or before cp is the only one that can hold it.
    const auto* it = std::upper_bound(begin, end, cp, [](char32_t c, const auto& r) { return c < r.first; });
    if (it == begin) return CodePointClass::Other;
    --it;
    return cp <= it->last ? it->cls : CodePointClass::Other;
}

// Decodes the code point at s[i] of a string already known to be valid UTF-8.
inline char32_t decode_valid(std::string_view s, std::size_t i, std::size_t& len) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    const auto cont = [&](std::size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(s[i + k]) & 0x3F); };
    if (b0 < 0x80) { len = 1; return b0; }
    if (b0 < 0xE0) { len = 2; return (char32_t(b0 & 0x1F) << 6) | cont(1); }
    if (b0 < 0xF0) { len = 3; return (char32_t(b0 & 0x0F) << 12) | (cont(1) << 6) | cont(2); }
    len = 4;
    return (char32_t(b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3);
}

// Length in bytes of the contraction ('s 't 're 've 'm 'll 'd) at s[i], or 0.
// Case-sensitive, as in the pattern: "'S" is not one.
inline std::size_t contraction_length(std::string_view s, std::size_t i) {
    if (s[i] != '\'' || i + 1 >= s.size()) return 0;
    const char a = s[i + 1];
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if (i + 2 >= s.size()) return 0;
    const char b = s[i + 2];
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

// End of the run of code points of class `cls` that starts at byte `i`.
inline std::size_t run_end(std::string_view s, std::size_t i, CodePointClass cls) {
    while (i < s.size()) {
        std::size_t len;
        const char32_t cp = decode_valid(s, i, len);
        if (classify(cp) != cls) break;
        i += len;
    }
    return i;
}

// End of the piece that "\s+(?!\S)|\s+" takes at the whitespace at byte `i`:
// the whole run when it ends the text; otherwise the run less its last code
// point (which then starts the next piece, as " ?X+" when it is a space),
// unless the run is that one code point.
inline std::size_t whitespace_end(std::string_view s, std::size_t i) {
    std::size_t last_start = i;
    std::size_t j = i;
    while (j < s.size()) {
        std::size_t len;
        if (classify(decode_valid(s, j, len)) != CodePointClass::Space) break;
        last_start = j;
        j += len;
    }
    if (j == s.size()) return j;
    return last_start > i ? last_start : j;
}

// Calls on_piece(std::string_view) for each piece of `s`, which must be valid
// UTF-8, in order; the pieces concatenate to `s`.
template <class OnPiece>
void split_pieces(std::string_view s, OnPiece&& on_piece) {
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t j;
        std::size_t len;
        const char32_t cp = decode_valid(s, i, len);
        const CodePointClass cls = classify(cp);
        if (const std::size_t c = contraction_length(s, i); c > 0) {
            j = i + c;
        } else if (cp == ' ' && i + 1 < s.size()) {
            // " ?X+": a single ASCII space joins the run of letters, numbers
            // or other symbols that follows it; before more whitespace it
            // belongs to the whitespace run instead.
            std::size_t next_len;
            const CodePointClass next = classify(decode_valid(s, i + 1, next_len));
            j = next == CodePointClass::Space ? whitespace_end(s, i) : run_end(s, i + 1 + next_len, next);
        } else if (cls != CodePointClass::Space) {
            j = run_end(s, i + len, cls);
        } else {
            j = whitespace_end(s, i);
        }
        on_piece(s.substr(i, j - i));
        i = j;
    }
}

}  // namespace peso::nn::gpt2
