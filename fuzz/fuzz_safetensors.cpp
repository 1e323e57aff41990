// Arbitrary bytes as a safetensors file: parsed from memory and, through a
// file, mapped; either a valid content or peso::Error, nothing else.
#include <cstdint>

#include "core/error.h"
#include "fuzz/fuzz_input_file.h"
#include "nn/serialization/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::vector<char> bytes(data, data + size);
    try {
        const auto content = peso::nn::parse_safetensors(bytes, "fuzz");
        // What parses must round-trip: serialized again, it parses to the same shapes.
        const auto again = peso::nn::parse_safetensors(peso::nn::serialize_safetensors(content.tensors, content.metadata), "again");
        if (again.tensors.size() != content.tensors.size()) __builtin_trap();
    } catch (const peso::Error&) {
    }
    try {
        peso::nn::load_safetensors(peso::fuzz::input_file("st", data, size).string());
    } catch (const peso::Error&) {
    }
    return 0;
}
