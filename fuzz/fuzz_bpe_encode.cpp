// GPT-2's BPE encoder (the real files) on arbitrary bytes: encoding never
// fails, and decoding gives back the text (invalid UTF-8 as its sanitized form).
#include <cstdint>
#include <string>

#include "core/error.h"
#include "nn/tokenizers/bpe_tokenizer.h"
#include "nn/tokenizers/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const peso::nn::Gpt2Tokenizer tok = peso::nn::Gpt2Tokenizer::load(PESO_GPT2_BPE_DIR);
    const std::string text(reinterpret_cast<const char*>(data), size);
    const std::string expected = peso::nn::utf8::is_valid(text) ? text : peso::nn::utf8::sanitize(text);
    if (tok.decode(tok.encode(text)) != expected) __builtin_trap();
    return 0;
}
