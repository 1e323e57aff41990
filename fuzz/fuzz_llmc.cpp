// Arbitrary bytes as an llm.c GPT-2 checkpoint (gpt2_124M.bin's format).
#include <cstdint>

#include "core/error.h"
#include "fuzz/fuzz_input_file.h"
#include "models/gpt/formats.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        peso::models::read_gpt_weights(peso::models::GptFormat::llmc, peso::fuzz::input_file("llmc.bin", data, size), 0);
    } catch (const peso::Error&) {
    }
    return 0;
}
