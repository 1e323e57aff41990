#include "nn/serialization/safetensors.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "core/checked_size.h"
#include "tensor/native.h"

namespace peso::nn {

namespace {

constexpr std::uint64_t kMaxHeader = 100'000'000;  // as Hugging Face's reader

const char* dtype_code(DType t) {
    switch (t) {
        case DType::f64: return "F64";
        case DType::f32: return "F32";
        case DType::f16: return "F16";
        case DType::bf16: return "BF16";
        case DType::i64: return "I64";
        case DType::i32: return "I32";
        case DType::b8: return "BOOL";
    }
    return "?";
}

bool dtype_from_code(const std::string& s, DType& out) {
    static const std::map<std::string, DType> codes = {{"F64", DType::f64}, {"F32", DType::f32},
                                                       {"F16", DType::f16}, {"BF16", DType::bf16},
                                                       {"I64", DType::i64}, {"I32", DType::i32},
                                                       {"BOOL", DType::b8}};
    auto it = codes.find(s);
    if (it == codes.end()) return false;
    out = it->second;
    return true;
}

// ---- writing ------------------------------------------------------------------------

// The tensor's bytes on the CPU, contiguous: the tensor itself when it is
// already (a model's parameters are), else one temporary copy.
Tensor host_contiguous(const Tensor& t) {
    const Tensor d = t.detach();
    if (d.device().is_cpu() && d.is_contiguous()) return d;
    return native::contiguous(native::to_device(d, Device::cpu()));
}

// The header (length and JSON, padded so that the data starts 8-byte
// aligned), from shapes and dtypes alone.
std::string header_bytes(const NamedTensors& tensors, const Metadata& metadata) {
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::uint64_t offset = 0;
    std::set<std::string> names;
    for (const auto& [name, t] : tensors) {
        PESO_CHECK(t.defined(), ValueError, "save_safetensors: tensor '{}' is undefined", name);
        PESO_CHECK(names.insert(name).second, ValueError, "save_safetensors: duplicate tensor name '{}'", name);
        PESO_CHECK(name != "__metadata__", ValueError, "save_safetensors: '__metadata__' is reserved");
        const std::uint64_t n = t.nbytes();
        header[name] = {{"dtype", dtype_code(t.dtype())}, {"shape", t.sizes().vec()}, {"data_offsets", {offset, offset + n}}};
        offset += n;
    }
    std::string json = header.dump();
    while ((json.size() + 8) % 8 != 0) json += ' ';
    std::string out(8, '\0');
    const std::uint64_t len = json.size();
    for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>((len >> (8 * i)) & 0xff);
    return out + json;
}

// Header, then each tensor's bytes, to `sink(data, size)`.
template <typename Sink> void write_safetensors(const NamedTensors& tensors, const Metadata& metadata, Sink&& sink) {
    const std::string header = header_bytes(tensors, metadata);
    sink(header.data(), header.size());
    for (const auto& [name, t] : tensors) {
        const Tensor h = host_contiguous(t);
        if (h.nbytes() > 0) sink(static_cast<const char*>(h.data_ptr()), h.nbytes());
    }
}

// ---- reading ------------------------------------------------------------------------

struct Header {
    std::vector<SafetensorsEntry> entries;  // in file order
    Metadata metadata;
    std::uint64_t data_start = 0;           // 8 + the JSON's length
};

std::uint64_t read_u64_le(const char* p) {
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(p[i]);
    return n;
}

SafetensorsEntry parse_entry(const std::string& name, const nlohmann::ordered_json& info, std::uint64_t data_size,
                             const std::string& what) {
    PESO_CHECK(info.is_object(), IOError, "{}: the entry for tensor '{}' is not an object", what, name);
    SafetensorsEntry e;
    e.name = name;
    const auto& dtype = info.at("dtype");
    PESO_CHECK(dtype.is_string(), IOError, "{}: tensor '{}' has a dtype that is not a string", what, name);
    const std::string code = dtype.get<std::string>();
    PESO_CHECK(dtype_from_code(code, e.dtype), IOError, "{}: tensor '{}' has unsupported dtype '{}'", what, name, code);
    const auto& shape = info.at("shape");
    PESO_CHECK(shape.is_array() && shape.size() <= static_cast<std::size_t>(kMaxDims), IOError,
               "{}: tensor '{}' needs a shape of at most {} sizes", what, name, kMaxDims);
    std::uint64_t numel = 1;
    for (const auto& d : shape) {
        PESO_CHECK(d.is_number_integer(), IOError, "{}: tensor '{}' has a size that is not an integer", what, name);
        const auto s = d.get<std::int64_t>();
        PESO_CHECK(s >= 0, IOError, "{}: tensor '{}' has a negative size", what, name);
        e.shape.push_back(s);
        PESO_CHECK(!__builtin_mul_overflow(numel, static_cast<std::uint64_t>(s), &numel), IOError,
                   "{}: tensor '{}' of shape {} has more elements than 64 bits count", what, name, e.shape);
    }
    const auto& offs = info.at("data_offsets");
    PESO_CHECK(offs.is_array() && offs.size() == 2 && offs[0].is_number_unsigned() && offs[1].is_number_unsigned(),
               IOError, "{}: tensor '{}' needs two non-negative integer data_offsets", what, name);
    e.begin = offs[0].get<std::uint64_t>();
    e.end = offs[1].get<std::uint64_t>();
    PESO_CHECK(e.begin <= e.end && e.end <= data_size, IOError,
               "{}: tensor '{}' has data_offsets [{}, {}] outside the {} bytes of data (truncated file?)", what, name,
               e.begin, e.end, data_size);
    std::uint64_t nbytes = 0;
    PESO_CHECK(!__builtin_mul_overflow(numel, static_cast<std::uint64_t>(itemsize(e.dtype)), &nbytes), IOError,
               "{}: tensor '{}' of dtype {} and shape {} has more bytes than 64 bits count", what, name, code, e.shape);
    PESO_CHECK(nbytes == e.end - e.begin, IOError,
               "{}: tensor '{}' of dtype {} and shape {} needs {} bytes, its offsets span {}", what, name, code, e.shape,
               nbytes, e.end - e.begin);
    return e;
}

// Every check, on the header alone: nothing is allocated for a file that fails one.
Header parse_header(const char* bytes, std::size_t size, const std::string& what) {
    PESO_CHECK(size >= 8, IOError, "{}: not a safetensors file ({} bytes, too short for the header length)", what,
               size);
    const std::uint64_t n = read_u64_le(bytes);
    PESO_CHECK(n <= kMaxHeader, IOError, "{}: header length {} exceeds the limit of {} bytes", what, n, kMaxHeader);
    PESO_CHECK(n <= size - 8, IOError, "{}: header length {} but only {} bytes follow (truncated file?)", what, n,
               size - 8);
    nlohmann::ordered_json json;
    try {
        json = nlohmann::ordered_json::parse(bytes + 8, bytes + 8 + n);
    } catch (const std::exception& e) {
        throw IOError(fmt::format("{}: malformed JSON header: {}", what, e.what()));
    }
    PESO_CHECK(json.is_object(), IOError, "{}: the JSON header is not an object", what);
    Header out;
    out.data_start = 8 + n;
    const std::uint64_t data_size = size - out.data_start;
    for (const auto& [name, info] : json.items()) {
        if (name == "__metadata__") {
            PESO_CHECK(info.is_object(), IOError, "{}: __metadata__ must be an object", what);
            for (const auto& [k, v] : info.items()) {
                PESO_CHECK(v.is_string(), IOError, "{}: metadata value for '{}' is not a string", what, k);
                out.metadata[k] = v.get<std::string>();
            }
            continue;
        }
        try {
            out.entries.push_back(parse_entry(name, info, data_size, what));
        } catch (const nlohmann::json::exception& e) {
            throw IOError(fmt::format("{}: malformed entry for tensor '{}': {}", what, name, e.what()));
        }
    }
    std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;
    for (const auto& e : out.entries) spans.emplace_back(e.begin, e.end);
    std::sort(spans.begin(), spans.end());
    std::uint64_t expect = 0;
    for (const auto& [b, e] : spans) {
        PESO_CHECK(b == expect, IOError, "{}: tensor data overlaps or leaves a gap at byte {}", what, std::min(b, expect));
        expect = e;
    }
    PESO_CHECK(expect == data_size, IOError, "{}: {} bytes of data follow the tensors' {} bytes", what, data_size,
               expect);
    return out;
}

// Any nonzero byte is true; bools are kept canonical (0 or 1).
void canonicalize_bools(Tensor& t) {
    if (t.dtype() != DType::b8) return;
    auto* p = static_cast<unsigned char*>(t.data_ptr());
    for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = p[i] != 0;
}

}  // namespace

std::vector<char> serialize_safetensors(const NamedTensors& tensors, const Metadata& metadata) {
    std::vector<char> out;
    write_safetensors(tensors, metadata, [&](const char* p, std::size_t n) { out.insert(out.end(), p, p + n); });
    return out;
}

void save_safetensors(const std::string& path, const NamedTensors& tensors, const Metadata& metadata) {
    AtomicFile file(path);
    write_safetensors(tensors, metadata, [&](const char* p, std::size_t n) { file.write(p, n); });
    file.commit();
}

SafetensorsContent parse_safetensors(const std::vector<char>& bytes, const std::string& what) {
    const Header h = parse_header(bytes.data(), bytes.size(), what);
    SafetensorsContent out;
    out.metadata = h.metadata;
    for (const SafetensorsEntry& e : h.entries) {
        Tensor t = native::empty(e.shape, TensorOptions(e.dtype));
        if (e.end > e.begin) std::memcpy(t.data_ptr(), bytes.data() + h.data_start + e.begin, e.end - e.begin);
        canonicalize_bools(t);
        out.tensors.emplace_back(e.name, t);
    }
    return out;
}

SafetensorsReader::SafetensorsReader(const std::string& path) : file_(path) {
    Header h = parse_header(file_.data(), file_.size(), path);
    entries_ = std::move(h.entries);
    metadata_ = std::move(h.metadata);
    data_start_ = h.data_start;
}

Tensor SafetensorsReader::read(const SafetensorsEntry& e) const {
    Tensor t = native::empty(e.shape, TensorOptions(e.dtype));
    if (e.end > e.begin) file_.copy_out(data_start_ + e.begin, e.end - e.begin, t.data_ptr());
    canonicalize_bools(t);
    return t;
}

void SafetensorsReader::read_into(const SafetensorsEntry& e, Tensor& dst) const {
    PESO_CHECK(dst.sizes() == e.shape, ShapeError, "{}: tensor '{}' has shape {}, its destination {}", path(), e.name,
               e.shape, dst.sizes());
    if (dst.device().is_cpu() && dst.dtype() == e.dtype && dst.is_contiguous() && e.dtype != DType::b8) {
        if (e.end > e.begin) file_.copy_out(data_start_ + e.begin, e.end - e.begin, dst.data_ptr());
        dst.impl().storage->bump_version();  // an in-place change, as copy_ records it
        return;
    }
    native::copy_(dst, read(e));
}

bool SafetensorsReader::same_data(const SafetensorsEntry& a, const SafetensorsEntry& b) const {
    if (a.dtype != b.dtype || a.shape != b.shape || a.end - a.begin != b.end - b.begin) return false;
    return std::memcmp(file_.data() + data_start_ + a.begin, file_.data() + data_start_ + b.begin, a.end - a.begin) ==
           0;
}

SafetensorsContent load_safetensors(const std::string& path) {
    const SafetensorsReader reader(path);
    SafetensorsContent out;
    out.metadata = reader.metadata();
    for (const SafetensorsEntry& e : reader.entries()) out.tensors.emplace_back(e.name, reader.read(e));
    return out;
}

}  // namespace peso::nn
