#pragma once
// Hugging Face's safetensors format: an 8-byte little-endian header length N,
// N bytes of JSON ({"name": {"dtype", "shape", "data_offsets"}, ...,
// "__metadata__": {string: string}}), then the raw little-endian data.
// Files written here load in Python's safetensors and PyTorch, and the reverse.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace peso::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;
using Metadata = std::map<std::string, std::string>;

struct SafetensorsContent {
    NamedTensors tensors;  // in file order
    Metadata metadata;
};

// Writes atomically: a temporary file in the same directory is written,
// fsync'ed and renamed over `path`, so a crash leaves either the old file or
// the new one, never a partial one.
void save_safetensors(const std::string& path, const NamedTensors& tensors, const Metadata& metadata = {});

// Reads and validates a file. Every inconsistency (truncation, oversized or
// malformed header, unknown dtype, offsets out of range, overlapping or
// missing data) throws IOError naming the file and the tensor.
SafetensorsContent load_safetensors(const std::string& path);

// The same, on bytes already in memory (`what` names the source in errors).
SafetensorsContent parse_safetensors(const std::vector<char>& bytes, const std::string& what);
std::vector<char> serialize_safetensors(const NamedTensors& tensors, const Metadata& metadata = {});

// Writes bytes to `path` atomically (temporary file, fsync, rename, fsync dir).
void write_file_atomically(const std::string& path, const char* data, std::size_t size);
std::vector<char> read_file(const std::string& path);

}  // namespace peso::nn
