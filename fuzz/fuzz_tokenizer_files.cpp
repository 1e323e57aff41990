// Arbitrary bytes as GPT-2's tokenizer files: the input up to its first NUL
// byte is encoder.json, the rest vocab.bpe. A pair that loads must encode and
// decode text.
#include <algorithm>
#include <cstdint>

#include "core/error.h"
#include "fuzz/fuzz_input_file.h"
#include "nn/tokenizers/bpe_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::uint8_t* split = std::find(data, data + size, std::uint8_t{0});
    const std::size_t first = static_cast<std::size_t>(split - data);
    const std::size_t rest_at = std::min(size, first + 1);
    const auto encoder = peso::fuzz::input_file("encoder.json", data, first);
    const auto merges = peso::fuzz::input_file("vocab.bpe", data + rest_at, size - rest_at);
    try {
        const auto tok = peso::nn::Gpt2Tokenizer::load_files(encoder, merges);
        tok.decode(tok.encode("Hello, world! 123 \xc3\xa9t\xc3\xa9"));
    } catch (const peso::Error&) {
    }
    return 0;
}
