#pragma once
// Hugging Face's safetensors format: an 8-byte little-endian header length N,
// N bytes of JSON ({"name": {"dtype", "shape", "data_offsets"}, ...,
// "__metadata__": {string: string}}), then the raw little-endian data.
// Files written here load in Python's safetensors and PyTorch, and the reverse.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/serialization/file_io.h"
#include "tensor/tensor.h"

namespace peso::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;
using Metadata = std::map<std::string, std::string>;

struct SafetensorsContent {
    NamedTensors tensors;  // in file order
    Metadata metadata;
};

// One tensor of a file, as its header describes it (offsets from the start of the data).
struct SafetensorsEntry {
    std::string name;
    DType dtype = DType::f32;
    Dims shape;
    std::uint64_t begin = 0, end = 0;
};

// Streams the tensors one by one (no copy of the whole file in memory) into a
// temporary file beside `path`, then fsyncs and renames it over `path`: a
// crash leaves either the old file or the new one, never a partial one.
void save_safetensors(const std::string& path, const NamedTensors& tensors, const Metadata& metadata = {});

// Maps and validates a file, then reads every tensor. Every inconsistency
// (truncation, oversized or malformed header, unknown dtype, a shape whose
// size overflows, offsets out of range, overlapping or missing data) throws
// IOError naming the file and the tensor, before any tensor is allocated.
SafetensorsContent load_safetensors(const std::string& path);

// A mapped, validated file whose tensors are read on demand: a loader checks
// the names, shapes and dtypes against what it expects first, then reads each
// tensor straight into its destination.
class SafetensorsReader {
public:
    explicit SafetensorsReader(const std::string& path);
    const std::vector<SafetensorsEntry>& entries() const { return entries_; }
    const Metadata& metadata() const { return metadata_; }
    const std::string& path() const { return file_.path(); }
    // A new CPU tensor with the entry's data.
    Tensor read(const SafetensorsEntry& entry) const;
    // The entry's data into `dst` (same shape); without a temporary when dst
    // is a contiguous CPU tensor of the entry's dtype.
    void read_into(const SafetensorsEntry& entry, Tensor& dst) const;
    // Whether two entries hold the same dtype, shape and bytes (compared in
    // the mapping: no copy).
    bool same_data(const SafetensorsEntry& a, const SafetensorsEntry& b) const;

private:
    MappedFile file_;
    std::vector<SafetensorsEntry> entries_;
    Metadata metadata_;
    std::uint64_t data_start_ = 0;
};

// The same checks on bytes already in memory (`what` names the source in errors).
SafetensorsContent parse_safetensors(const std::vector<char>& bytes, const std::string& what);
std::vector<char> serialize_safetensors(const NamedTensors& tensors, const Metadata& metadata = {});

}  // namespace peso::nn
