#include "nn/tokenizers/utf8.h"

#include <fmt/format.h>

#include <algorithm>

namespace peso::nn::utf8 {

namespace {

// Allowed range of the first continuation byte for each lead byte; later
// continuation bytes are always 0x80..0xBF. The narrow ranges exclude
// overlong forms (E0, F0), surrogates (ED) and values above U+10FFFF (F4).
struct LeadInfo {
    std::uint8_t need;  // continuation bytes; 0 with lo > hi marks an invalid lead
    std::uint8_t lo, hi;
};

constexpr LeadInfo lead_info(std::uint8_t b) {
    if (b < 0x80) return {0, 1, 0};
    if (b >= 0xC2 && b <= 0xDF) return {1, 0x80, 0xBF};
    if (b == 0xE0) return {2, 0xA0, 0xBF};
    if (b == 0xED) return {2, 0x80, 0x9F};
    if (b >= 0xE1 && b <= 0xEF) return {2, 0x80, 0xBF};
    if (b == 0xF0) return {3, 0x90, 0xBF};
    if (b >= 0xF1 && b <= 0xF3) return {3, 0x80, 0xBF};
    if (b == 0xF4) return {3, 0x80, 0x8F};
    return {0, 0xFF, 0};  // 0x80..0xC1, 0xF5..0xFF
}

}  // namespace

Decoded decode_at(std::string_view s, std::size_t i) {
    const auto b0 = static_cast<std::uint8_t>(s[i]);
    if (b0 < 0x80) return {b0, 1, true};
    const LeadInfo info = lead_info(b0);
    if (info.need == 0) return {kReplacement, 1, false};
    char32_t cp = b0 & (0x3F >> info.need);
    for (std::uint32_t k = 1; k <= info.need; ++k) {
        // A truncated or interrupted sequence is one U+FFFD; the byte that
        // interrupted it starts the next sequence.
        if (i + k >= s.size()) return {kReplacement, k, false};
        const auto b = static_cast<std::uint8_t>(s[i + k]);
        const std::uint8_t lo = k == 1 ? info.lo : 0x80, hi = k == 1 ? info.hi : 0xBF;
        if (b < lo || b > hi) return {kReplacement, k, false};
        cp = (cp << 6) | (b & 0x3F);
    }
    return {cp, info.need + 1u, true};
}

std::size_t first_invalid(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        // ASCII runs are the common case; skip them eight bytes at a time.
        while (i + 8 <= s.size()) {
            std::uint64_t word;
            std::copy_n(s.data() + i, 8, reinterpret_cast<char*>(&word));
            if (word & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i >= s.size()) break;
        const Decoded d = decode_at(s, i);
        if (!d.valid) return i;
        i += d.len;
    }
    return std::string_view::npos;
}

std::string sanitize(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 8);
    std::size_t i = 0;
    while (i < s.size()) {
        const Decoded d = decode_at(s, i);
        if (d.valid) {
            out.append(s.substr(i, d.len));
        } else {
            append(out, kReplacement);
        }
        i += d.len;
    }
    return out;
}

void append(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

std::string describe(char32_t cp) {
    const std::string code = fmt::format("U+{:04X}", static_cast<std::uint32_t>(cp));
    switch (cp) {
        case '\n': return "'\\n' (" + code + ")";
        case '\t': return "'\\t' (" + code + ")";
        case '\r': return "'\\r' (" + code + ")";
        default: break;
    }
    // Control characters, format characters such as zero-width spaces, and
    // surrogates would print as nothing or garble the message.
    const bool invisible = cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || cp == 0xAD || (cp >= 0x200B && cp <= 0x200F) ||
                           (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x206F) || cp == 0xFEFF ||
                           (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0xFE00 && cp <= 0xFE0F) || cp > 0x10FFFF;
    if (invisible) return code;
    std::string out = "'";
    append(out, cp);
    return out + "' (" + code + ")";
}

std::string describe_bytes(std::string_view s, std::size_t i, std::size_t n) {
    std::string out;
    for (std::size_t k = i; k < std::min(s.size(), i + n); ++k) {
        if (!out.empty()) out += ' ';
        out += fmt::format("0x{:02X}", static_cast<unsigned>(static_cast<unsigned char>(s[k])));
    }
    return out;
}

}  // namespace peso::nn::utf8
