// Arbitrary bytes as a checkpoint's config.json, tokenizer.json and checkpoint.json (the manifest).
#include <cstdint>
#include <string>

#include "core/error.h"
#include "fuzz/fuzz_input_file.h"
#include "models/gpt/config.h"
#include "nn/serialization/file_set.h"
#include "nn/tokenizers/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        peso::models::GptConfig::from_json(text).validate();
    } catch (const peso::Error&) {
    }
    try {
        // A "gpt2" tokenizer names BPE files: none here, so that a fuzz run never reads them.
        const auto tok = peso::nn::tokenizer_from_json(text, "/nonexistent");
        tok->decode(tok->encode("ab"));
    } catch (const peso::Error&) {
    }
    try {
        const auto manifest = peso::fuzz::input_file("checkpoint.json", data, size);
        const peso::nn::FileSetReader files(manifest.parent_path(), manifest.filename().string());
        for (const char* name : {"config.json", "tokenizer.json", "model.safetensors", "train_state.safetensors"})
            (void)files.find(name);
    } catch (const peso::Error&) {
    }
    return 0;
}
