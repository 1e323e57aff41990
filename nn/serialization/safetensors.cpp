#include "nn/serialization/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

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

std::string sys_error(const std::string& what, const std::string& path) {
    return fmt::format("{} '{}': {}", what, path, std::strerror(errno));
}

}  // namespace

std::vector<char> serialize_safetensors(const NamedTensors& tensors, const Metadata& metadata) {
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::vector<Tensor> host;
    std::uint64_t offset = 0;
    std::set<std::string> names;
    for (const auto& [name, t] : tensors) {
        PESO_CHECK(t.defined(), ValueError, "save_safetensors: tensor '{}' is undefined", name);
        PESO_CHECK(names.insert(name).second, ValueError, "save_safetensors: duplicate tensor name '{}'", name);
        PESO_CHECK(name != "__metadata__", ValueError, "save_safetensors: '__metadata__' is reserved");
        const Tensor h = native::contiguous(native::to_device(t.detach(), Device::cpu()));
        const std::uint64_t n = h.nbytes();
        header[name] = {{"dtype", dtype_code(h.dtype())}, {"shape", h.sizes().vec()}, {"data_offsets", {offset, offset + n}}};
        offset += n;
        host.push_back(h);
    }
    std::string json = header.dump();
    while ((json.size() + 8) % 8 != 0) json += ' ';  // data starts 8-byte aligned
    std::vector<char> out(8 + json.size() + offset);
    const std::uint64_t len = json.size();
    for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>((len >> (8 * i)) & 0xff);
    std::memcpy(out.data() + 8, json.data(), json.size());
    char* data = out.data() + 8 + json.size();
    for (const Tensor& h : host) {
        std::memcpy(data, h.data_ptr(), h.nbytes());
        data += h.nbytes();
    }
    return out;
}

void write_file_atomically(const std::string& path, const char* data, std::size_t size) {
    namespace fs = std::filesystem;
    const fs::path target(path);
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    const std::string tmp = (dir / ("." + target.filename().string() + ".tmp." + std::to_string(::getpid()))).string();
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw IOError(sys_error("cannot create", tmp));
    std::size_t done = 0;
    while (done < size) {
        const ssize_t w = ::write(fd, data + done, size - done);
        if (w < 0) {
            if (errno == EINTR) continue;
            const std::string msg = sys_error("cannot write", tmp);
            ::close(fd);
            ::unlink(tmp.c_str());
            throw IOError(msg);
        }
        done += static_cast<std::size_t>(w);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const std::string msg = sys_error("cannot flush", tmp);
        ::unlink(tmp.c_str());
        throw IOError(msg);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string msg = sys_error("cannot rename the temporary file to", path);
        ::unlink(tmp.c_str());
        throw IOError(msg);
    }
    // Make the rename itself durable.
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

void save_safetensors(const std::string& path, const NamedTensors& tensors, const Metadata& metadata) {
    const std::vector<char> bytes = serialize_safetensors(tensors, metadata);
    write_file_atomically(path, bytes.data(), bytes.size());
}

std::vector<char> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    PESO_CHECK(in.good(), IOError, "cannot open '{}'", path);
    const auto size = static_cast<std::size_t>(in.tellg());
    std::vector<char> bytes(size);
    in.seekg(0);
    in.read(bytes.data(), static_cast<std::streamsize>(size));
    PESO_CHECK(in.good() || size == 0, IOError, "cannot read '{}'", path);
    return bytes;
}

SafetensorsContent parse_safetensors(const std::vector<char>& bytes, const std::string& what) {
    PESO_CHECK(bytes.size() >= 8, IOError, "{}: not a safetensors file ({} bytes, too short for the header length)",
               what, bytes.size());
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
    PESO_CHECK(n <= kMaxHeader, IOError, "{}: header length {} exceeds the limit of {} bytes", what, n, kMaxHeader);
    PESO_CHECK(n <= bytes.size() - 8, IOError, "{}: header length {} but only {} bytes follow (truncated file?)", what,
               n, bytes.size() - 8);
    nlohmann::ordered_json header;
    try {
        header = nlohmann::ordered_json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(n));
    } catch (const std::exception& e) {
        throw IOError(fmt::format("{}: malformed JSON header: {}", what, e.what()));
    }
    PESO_CHECK(header.is_object(), IOError, "{}: the JSON header is not an object", what);
    const std::uint64_t data_size = bytes.size() - 8 - n;
    const char* data = bytes.data() + 8 + n;
    SafetensorsContent out;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;
    for (const auto& [name, info] : header.items()) {
        if (name == "__metadata__") {
            PESO_CHECK(info.is_object(), IOError, "{}: __metadata__ must be an object", what);
            for (const auto& [k, v] : info.items()) {
                PESO_CHECK(v.is_string(), IOError, "{}: metadata value for '{}' is not a string", what, k);
                out.metadata[k] = v.get<std::string>();
            }
            continue;
        }
        try {
            const std::string code = info.at("dtype").get<std::string>();
            DType dtype;
            PESO_CHECK(dtype_from_code(code, dtype), IOError, "{}: tensor '{}' has unsupported dtype '{}'", what, name,
                       code);
            Dims shape;
            std::uint64_t numel = 1;
            for (const auto& d : info.at("shape")) {
                const auto s = d.get<std::int64_t>();
                PESO_CHECK(s >= 0, IOError, "{}: tensor '{}' has a negative size", what, name);
                shape.push_back(s);
                numel *= static_cast<std::uint64_t>(s);
            }
            const auto& offs = info.at("data_offsets");
            PESO_CHECK(offs.size() == 2, IOError, "{}: tensor '{}' needs two data_offsets", what, name);
            const auto begin = offs[0].get<std::uint64_t>(), end = offs[1].get<std::uint64_t>();
            PESO_CHECK(begin <= end && end <= data_size, IOError,
                       "{}: tensor '{}' has data_offsets [{}, {}] outside the {} bytes of data (truncated file?)", what,
                       name, begin, end, data_size);
            PESO_CHECK(end - begin == numel * itemsize(dtype), IOError,
                       "{}: tensor '{}' of dtype {} and shape {} needs {} bytes, its offsets span {}", what, name,
                       code, shape, numel * itemsize(dtype), end - begin);
            Tensor t = native::empty(shape, TensorOptions(dtype));
            if (end > begin) std::memcpy(t.data_ptr(), data + begin, end - begin);
            if (dtype == DType::b8) {  // any nonzero byte is true; keep bools canonical
                auto* p = static_cast<unsigned char*>(t.data_ptr());
                for (std::uint64_t i = 0; i < numel; ++i) p[i] = p[i] != 0;
            }
            spans.emplace_back(begin, end);
            out.tensors.emplace_back(name, t);
        } catch (const nlohmann::json::exception& e) {
            throw IOError(fmt::format("{}: malformed entry for tensor '{}': {}", what, name, e.what()));
        }
    }
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

SafetensorsContent load_safetensors(const std::string& path) { return parse_safetensors(read_file(path), path); }

}  // namespace peso::nn
