#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "backends/host_allocator.h"
#include "nn/module.h"
#include "nn/serialization/module_io.h"
#include "nn/serialization/safetensors.h"

using namespace peso;
using namespace peso::nn;

namespace {

std::string temp_path(const std::string& name) {
    const auto dir = std::filesystem::temp_directory_path() / "peso_test_safetensors";
    std::filesystem::create_directories(dir);
    return (dir / name).string();
}

// A file whose header is `json` followed by `data_bytes` zero bytes.
std::vector<char> raw_file(const std::string& json, std::size_t data_bytes, std::uint64_t declared_len) {
    std::vector<char> b(8);
    for (int i = 0; i < 8; ++i) b[static_cast<std::size_t>(i)] = static_cast<char>((declared_len >> (8 * i)) & 0xff);
    b.insert(b.end(), json.begin(), json.end());
    b.insert(b.end(), data_bytes, '\0');
    return b;
}
std::vector<char> raw_file(const std::string& json, std::size_t data_bytes) {
    return raw_file(json, data_bytes, json.size());
}

struct Tiny : Module {
    Tensor w, b, running;
    Tiny() {
        w = register_parameter("weight", arange(6).to(DType::f32).view({2, 3}));
        b = register_parameter("bias", zeros({2}));
        running = register_buffer("running", ones({3}, DType::i64));
    }
    std::string type_name() const override { return "Tiny"; }
};

}  // namespace

TEST_CASE("safetensors round-trips every dtype, shapes, metadata and non-contiguous tensors") {
    const std::string path = temp_path("roundtrip.safetensors");
    const Tensor f = arange(12).to(DType::f32).view({3, 4}).t();  // non-contiguous
    const NamedTensors in = {{"f32", f},
                             {"f64", from_vector<double>({1.5, -2.25})},
                             {"i64", from_vector<std::int64_t>({-5, 1LL << 40})},
                             {"i32", from_vector<std::int32_t>({7})},
                             {"bool", from_vector<bool>({true, false, true})},
                             {"scalar", scalar_tensor(3.5)},
                             {"empty", zeros({0, 3})}};
    save_safetensors(path, in, {{"format", "pt"}, {"step", "12"}});
    const auto out = load_safetensors(path);
    REQUIRE(out.tensors.size() == in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        CAPTURE(in[i].first);
        CHECK(out.tensors[i].first == in[i].first);
        CHECK(out.tensors[i].second.dtype() == in[i].second.dtype());
        CHECK(out.tensors[i].second.sizes() == in[i].second.sizes());
        CHECK(equal(out.tensors[i].second, in[i].second));
    }
    CHECK(out.metadata.at("step") == "12");
    // The layout is the documented one: length prefix, JSON, data aligned to 8.
    const auto bytes = read_file(path);
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
    CHECK((8 + n) % 8 == 0);
    CHECK(bytes[8] == '{');
}

TEST_CASE("corrupted, truncated and inconsistent files are refused with a clear error") {
    auto refuse = [](const std::vector<char>& b, const char* needle) {
        CAPTURE(needle);
        CHECK_THROWS_WITH_AS(parse_safetensors(b, "bad.safetensors"), doctest::Contains(needle), IOError);
    };
    refuse({'\x01', '\x02'}, "too short");
    refuse(raw_file("{}", 0, 1ull << 40), "exceeds the limit");
    refuse(raw_file("{}", 0, 500), "truncated");
    refuse(raw_file("{\"a\": ", 0), "malformed JSON");
    refuse(raw_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4), "outside");
    refuse(raw_file(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8), "needs 12 bytes");
    refuse(raw_file(R"({"w":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}})", 8), "unsupported dtype");
    refuse(raw_file(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8), "negative");
    refuse(raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12),
           "overlaps");
    refuse(raw_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 16), "bytes of data follow");
    refuse(raw_file(R"({"w":{"dtype":"F32","shape":[2]}})", 8), "malformed entry for tensor 'w'");
    CHECK_THROWS_AS(load_safetensors(temp_path("does_not_exist.safetensors")), IOError);
    // The good version of the same file parses.
    CHECK(parse_safetensors(raw_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8), "ok")
              .tensors.size() == 1);
}

TEST_CASE("writes are atomic: a failed write leaves the previous file intact") {
    const std::string path = temp_path("atomic.safetensors");
    save_safetensors(path, {{"x", ones({4})}});
    CHECK_THROWS_AS(save_safetensors(path, {{"x", ones({4})}, {"x", ones({4})}}), ValueError);  // duplicate name
    CHECK(equal(load_safetensors(path).tensors[0].second, ones({4})));
    CHECK_THROWS_AS(save_safetensors(temp_path("no/such/dir/file.safetensors"), {{"x", ones({1})}}), IOError);
    for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path()))
        CHECK(e.path().filename().string().find(".tmp.") == std::string::npos);  // no temporary files left behind
}

TEST_CASE("a module saves and loads its state dict; mismatches name the tensor") {
    const std::string path = temp_path("tiny.safetensors");
    auto a = std::make_shared<Tiny>();
    save_module(*a, path, {{"kind", "tiny"}});
    auto b = std::make_shared<Tiny>();
    {
        NoGradGuard g;
        b->w.zero_();
    }
    const Metadata meta = load_module(*b, path);
    CHECK(meta.at("kind") == "tiny");
    CHECK(equal(b->w, a->w));
    CHECK(b->w.requires_grad());  // still the same parameter handle
    save_safetensors(path, {{"weight", zeros({3, 2})}, {"bias", zeros({2})}, {"running", ones({3}, DType::i64)}});
    CHECK_THROWS_WITH_AS(load_module(*b, path), doctest::Contains("'weight' has shape [3, 2]"), IOError);
    save_safetensors(path, {{"weight", zeros({2, 3})}, {"running", ones({3}, DType::i64)}});
    CHECK_THROWS_WITH_AS(load_module(*b, path), doctest::Contains("missing key 'bias'"), IOError);
    load_module(*b, path, /*strict=*/false);
    CHECK(equal(b->w, zeros({2, 3})));
}

TEST_CASE("crafted headers: sizes that overflow, shapes of the wrong kind, and no allocation before the checks") {
    auto refuse = [](const std::vector<char>& b, const char* needle) {
        CAPTURE(needle);
        CHECK_THROWS_WITH_AS(parse_safetensors(b, "bad.safetensors"), doctest::Contains(needle), IOError);
    };
    // 2^32 x 2^32 elements wrap to 0 in 64 bits: a zero-length span must not pass for them.
    refuse(raw_file(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}})", 0),
           "more elements than 64 bits");
    // 2^62 elements of 4 bytes wrap to 0 bytes.
    refuse(raw_file(R"({"w":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}})", 0), "more bytes than 64 bits");
    refuse(raw_file(R"({"w":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,4]}})", 4), "at most 8");
    refuse(raw_file(R"({"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", 8), "not an integer");
    refuse(raw_file(R"({"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}})", 8), "shape");
    refuse(raw_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}})", 8), "data_offsets");
    refuse(raw_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8), "outside");
    refuse(raw_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8,16]}})", 8), "data_offsets");
    refuse(raw_file(R"({"w":{"dtype":7,"shape":[2],"data_offsets":[0,8]}})", 8), "dtype");
    refuse(raw_file(R"({"w":[1,2]})", 8), "not an object");
    refuse(raw_file(R"({"__metadata__":{"a":1}})", 0), "not a string");
    refuse(raw_file(R"([1,2])", 0), "not an object");
    // A gap between two tensors (data not covered).
    refuse(raw_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})", 12),
           "gap");
    // Nothing was allocated for any of them: a refused file leaves the allocator as it was.
    const auto live = host_allocator().stats().live_blocks;
    refuse(raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[3],"data_offsets":[8,16]}})", 16),
           "needs 12 bytes");
    CHECK(host_allocator().stats().live_blocks == live);
}

TEST_CASE("loading maps the file; a crafted file on disk is refused like the same bytes in memory") {
    const std::string path = temp_path("crafted.safetensors");
    const auto bytes = raw_file(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}})", 0);
    write_file_atomically(path, bytes.data(), bytes.size());
    CHECK_THROWS_WITH_AS(load_safetensors(path), doctest::Contains("crafted.safetensors"), IOError);
    write_file_atomically(path, "", 0);
    CHECK_THROWS_WITH_AS(load_safetensors(path), doctest::Contains("too short"), IOError);
    CHECK_THROWS_WITH_AS(load_safetensors(temp_path("")), doctest::Contains("not a regular file"), IOError);
    // Streamed writing and mapped reading agree with the in-memory forms, byte for byte.
    const NamedTensors t = {{"a", arange(10).to(DType::f32)}, {"b", ones({3, 2}, DType::i64).t()}, {"c", zeros({0, 4})}};
    save_safetensors(path, t, {{"k", "v"}});
    CHECK(read_file(path) == serialize_safetensors(t, {{"k", "v"}}));
    const SafetensorsReader reader(path);
    REQUIRE(reader.entries().size() == 3);
    CHECK(reader.entries()[1].shape == Dims{2, 3});
    Tensor dst = zeros({10});
    reader.read_into(reader.entries()[0], dst);
    CHECK(equal(dst, arange(10).to(DType::f32)));
    Tensor wrong = zeros({11});
    CHECK_THROWS_AS(reader.read_into(reader.entries()[0], wrong), ShapeError);
}
