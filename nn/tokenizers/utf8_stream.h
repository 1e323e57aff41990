#pragma once
// Incremental UTF-8 decoding for text that arrives in pieces, e.g. one GPT-2
// token at a time during sampling: a byte-level token can end in the middle
// of a character (emoji, CJK, many accented letters), so the bytes of an
// incomplete sequence at the end of a piece are held back until the next
// piece completes them. What comes out, joined, equals utf8::sanitize of all
// the bytes: complete characters pass, ill-formed bytes become U+FFFD.
#include <string>
#include <string_view>

namespace peso::nn::utf8 {

class Utf8Stream {
public:
    // The text that is complete after `bytes`, sanitized.
    std::string push(std::string_view bytes);
    // What is held back (an unfinished sequence at the very end), as U+FFFD.
    std::string finish();

private:
    std::string pending_;
};

}  // namespace peso::nn::utf8
