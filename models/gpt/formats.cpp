#include "models/gpt/formats.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <system_error>
#include <vector>

#include "core/error.h"
#include "nn/serialization/safetensors.h"

namespace peso::models {

namespace fs = std::filesystem;

static_assert(std::endian::native == std::endian::little, "the GPT-2 file formats are little-endian");

namespace {

constexpr std::int32_t kLlmcMagic = 20240326;
constexpr std::int32_t kLlmcFp32 = 3, kLlmcBf16 = 5;
constexpr std::size_t kLlmcHeaderInts = 256;
constexpr std::int64_t kLlmcHeaderBytes = kLlmcHeaderInts * sizeof(std::int32_t);
constexpr std::string_view kPrefix = "transformer.";

// The per-layer parameters, by their name after "h.{i}.", in llm.c's order.
constexpr std::array<std::string_view, 12> kLayerParams = {
    "ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight", "attn.c_proj.bias",
    "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight",    "mlp.c_fc.bias",    "mlp.c_proj.weight",  "mlp.c_proj.bias"};

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Hugging Face's Conv1D keeps its weight as (in, out).
bool is_conv1d_weight(std::string_view name) {
    for (std::string_view w : {"attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"})
        if (name.size() > w.size() && name.ends_with(w) && name[name.size() - w.size() - 1] == '.') return true;
    return false;
}

// "h.12.attn.bias" -> layer 12, rest "attn.bias"; false when not a layer name.
bool split_layer_name(std::string_view name, std::int64_t& layer, std::string_view& rest) {
    if (!starts_with(name, "h.")) return false;
    const std::size_t dot = name.find('.', 2);
    if (dot == std::string_view::npos || dot == 2 || dot > 8) return false;
    layer = 0;
    for (char c : name.substr(2, dot - 2)) {
        if (c < '0' || c > '9') return false;
        layer = layer * 10 + (c - '0');
    }
    rest = name.substr(dot + 1);
    return true;
}

float half_to_float(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    std::uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13);  // inf, nan
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (mant << 13);
    } else if (mant == 0) {
        bits = sign;
    } else {  // subnormal: normalise
        exp = 113;
        while ((mant & 0x400u) == 0) {
            mant <<= 1;
            --exp;
        }
        bits = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
    }
    return std::bit_cast<float>(bits);
}

// Float32 on the CPU, contiguous; half formats are widened exactly.
Tensor to_f32(const Tensor& t) {
    Tensor src = t.to(Device::cpu()).contiguous();
    if (src.dtype() == DType::f32) return src;
    if (src.dtype() != DType::f16 && src.dtype() != DType::bf16) return src.to(DType::f32).contiguous();
    Tensor out = empty(src.sizes(), TensorOptions(DType::f32));
    const auto* in = static_cast<const std::uint16_t*>(src.data_ptr());
    float* o = out.data_ptr<float>();
    const bool bf16 = src.dtype() == DType::bf16;
    for (std::int64_t i = 0; i < src.numel(); ++i)
        o[i] = bf16 ? std::bit_cast<float>(static_cast<std::uint32_t>(in[i]) << 16) : half_to_float(in[i]);
    return out;
}

bool is_float_dtype(DType d) { return d == DType::f16 || d == DType::bf16 || d == DType::f32 || d == DType::f64; }

void check_regular_file(const fs::path& file, std::string_view what) {
    PESO_CHECK(fs::exists(file), IOError, "no such file: {}", file.string());
    PESO_CHECK(fs::is_regular_file(file), IOError, "{} is not a regular file ({} expected)", file.string(), what);
}

std::string layer_name(std::int64_t i, std::string_view param) { return fmt::format("transformer.h.{}.{}", i, param); }

// The state's tensors by name, once checked (the format's needs first).
std::map<std::string, Tensor> checked_state(const GptConfig& c, const nn::NamedTensors& state,
                                            std::string_view format) {
    PESO_CHECK(c.bias, ValueError, "the {} format holds GPT-2's biases, but this model was built with bias=false",
               format);
    validate_gpt_state(c, state, "the weights");
    std::map<std::string, Tensor> by_name;
    for (const auto& [name, t] : state) by_name.emplace(name, t);
    return by_name;
}

// ---- Hugging Face ----------------------------------------------------------------

struct HfTensors {
    std::map<std::string, Tensor> by_name;  // "transformer." removed
    std::int64_t n_layer = 0;
};

// Sorts the file's tensors into ours and the buffers to skip; anything else
// means the file is not a GPT-2.
HfTensors collect_hf(nn::NamedTensors tensors, const fs::path& file) {
    HfTensors out;
    std::set<std::int64_t> layers;
    for (auto& [full, t] : tensors) {
        const std::string name = starts_with(full, kPrefix) ? full.substr(kPrefix.size()) : full;
        std::int64_t layer = 0;
        std::string_view rest;
        const bool in_layer = split_layer_name(name, layer, rest);
        if (in_layer && (rest == "attn.bias" || rest == "attn.masked_bias")) continue;  // causal-mask buffers
        const bool known =
            name == "wte.weight" || name == "wpe.weight" || name == "ln_f.weight" || name == "ln_f.bias" ||
            name == "lm_head.weight" ||
            (in_layer && std::find(kLayerParams.begin(), kLayerParams.end(), rest) != kLayerParams.end());
        PESO_CHECK(known, IOError, "{}: unexpected tensor '{}' (shape {}): not a GPT-2 checkpoint", file.string(), full,
                   t.sizes());
        PESO_CHECK(is_float_dtype(t.dtype()), IOError, "{}: tensor '{}' has dtype {}, expected a floating type",
                   file.string(), full, t.dtype());
        PESO_CHECK(out.by_name.emplace(name, std::move(t)).second, IOError,
                   "{}: tensor '{}' appears twice (with and without '{}')", file.string(), name, kPrefix);
        if (in_layer) layers.insert(layer);
    }
    out.n_layer = static_cast<std::int64_t>(layers.size());
    PESO_CHECK(layers.empty() || *layers.rbegin() == out.n_layer - 1, IOError,
               "{}: the layers are not numbered 0..{} (found h.{})", file.string(), out.n_layer - 1, *layers.rbegin());
    return out;
}

GptConfig hf_config(const HfTensors& hf, const fs::path& file, std::int64_t n_head, std::string& source) {
    auto get = [&](const char* name) {
        const auto it = hf.by_name.find(name);
        PESO_CHECK(it != hf.by_name.end(), IOError, "{}: tensor '{}' is missing: not a GPT-2 checkpoint", file.string(),
                   name);
        PESO_CHECK(it->second.dim() == 2, IOError, "{}: '{}' has shape {}, expected 2 dimensions", file.string(), name,
                   it->second.sizes());
        return it->second;
    };
    const Tensor wte = get("wte.weight"), wpe = get("wpe.weight");
    GptConfig c;
    c.vocab_size = wte.size(0);
    c.n_embd = wte.size(1);
    c.block_size = wpe.size(0);
    c.n_layer = hf.n_layer;
    c.bias = true;
    c.dropout = 0.0;
    PESO_CHECK(wpe.size(1) == c.n_embd, IOError, "{}: wpe.weight has shape {} but wte.weight {}", file.string(),
               wpe.sizes(), wte.sizes());
    PESO_CHECK(c.n_layer > 0, IOError, "{}: no transformer layers (h.0...) found", file.string());
    if (n_head > 0) {
        c.n_head = n_head;
        source = "--n-head";
    } else {
        c.n_head = hf_n_head(file, c.n_embd, &source);
        PESO_CHECK(c.n_head > 0, ValueError,
                   "{}: the number of attention heads is not stored in the weights and n_embd {} is not a GPT-2 "
                   "size: give it with --n-head",
                   file.string(), c.n_embd);
    }
    PESO_CHECK(c.n_embd % c.n_head == 0, ValueError, "n_head {} does not divide n_embd {}", c.n_head, c.n_embd);
    return c;
}

GptWeights read_hf(const fs::path& file, std::int64_t n_head) {
    check_regular_file(file, "a safetensors file");
    HfTensors hf = collect_hf(nn::load_safetensors(file.string()).tensors, file);
    GptWeights out;
    out.config = hf_config(hf, file, n_head, out.n_head_source);
    const Tensor wte = to_f32(hf.by_name.at("wte.weight"));
    if (const auto it = hf.by_name.find("lm_head.weight"); it != hf.by_name.end())
        PESO_CHECK(it->second.sizes() == wte.sizes() && equal(to_f32(it->second), wte), IOError,
                   "{}: lm_head.weight differs from wte.weight, but GPT-2 (and peso's GPT) ties them", file.string());
    for (const auto& [name, shape] : gpt_state_shapes(out.config)) {
        if (name == "lm_head.weight") {
            out.state.emplace_back(name, wte);
            continue;
        }
        const std::string hf_name = name.substr(kPrefix.size());
        const auto it = hf.by_name.find(hf_name);
        PESO_CHECK(it != hf.by_name.end(), IOError, "{}: tensor '{}' is missing (a GPT-2 with {} layers has it)",
                   file.string(), hf_name, out.config.n_layer);
        Tensor t = to_f32(it->second);
        it->second = Tensor();  // the file's copy is no longer needed
        if (is_conv1d_weight(hf_name)) {
            const Dims expected{shape[1], shape[0]};
            PESO_CHECK(t.sizes() == expected, IOError,
                       "{}: '{}' has shape {}, expected {} (Conv1D's (in, out) for n_embd {})", file.string(), hf_name,
                       t.sizes(), expected, out.config.n_embd);
            t = t.transpose(0, 1).contiguous();
        }
        PESO_CHECK(t.sizes() == shape, IOError, "{}: '{}' has shape {}, expected {} for n_embd {}", file.string(),
                   hf_name, t.sizes(), shape, out.config.n_embd);
        out.state.emplace_back(name, std::move(t));
    }
    return out;
}

void write_hf(const GptConfig& c, const nn::NamedTensors& state, const fs::path& file) {
    const auto by_name = checked_state(c, state, "Hugging Face GPT-2");
    nn::NamedTensors tensors;
    for (const auto& [name, shape] : gpt_state_shapes(c)) {
        if (name == "lm_head.weight") continue;  // tied to wte: the gpt2 repository does not store it
        const std::string hf_name = name.substr(kPrefix.size());
        const Tensor& t = by_name.at(name);
        tensors.emplace_back(hf_name, to_f32(is_conv1d_weight(hf_name) ? t.transpose(0, 1) : t));
    }
    nn::save_safetensors(file.string(), tensors, {{"format", "pt"}});
}

// ---- llm.c ----------------------------------------------------------------------------

struct LlmcHeader {
    std::int64_t version, max_t, vocab, layers, heads, channels, padded_vocab;
    std::int64_t itemsize() const { return version == kLlmcBf16 ? 2 : 4; }
};

LlmcHeader read_llmc_header(std::ifstream& in, const fs::path& file, std::uintmax_t size) {
    const std::string f = file.string();
    PESO_CHECK(size >= static_cast<std::uintmax_t>(kLlmcHeaderBytes), IOError,
               "{}: {} bytes, too short for an llm.c checkpoint's {}-byte header", f, size, kLlmcHeaderBytes);
    std::array<std::int32_t, kLlmcHeaderInts> hd{};
    in.read(reinterpret_cast<char*>(hd.data()), kLlmcHeaderBytes);
    PESO_CHECK(in.good(), IOError, "{}: cannot read the header", f);
    PESO_CHECK(hd[0] != 20240328, IOError, "{}: this is an llm.c tokenizer file, not a model checkpoint", f);
    PESO_CHECK(hd[0] != 20240327, IOError, "{}: this is an llm.c debug-state file, not a model checkpoint", f);
    PESO_CHECK(hd[0] == kLlmcMagic, IOError, "{}: not an llm.c GPT-2 checkpoint (magic number {}, expected {}){}", f,
               hd[0], kLlmcMagic, f.ends_with(".safetensors") ? "; for safetensors files use --format hf" : "");
    PESO_CHECK(hd[1] == kLlmcFp32 || hd[1] == kLlmcBf16, IOError,
               "{}: llm.c checkpoint version {} is not supported (3 = float32 and 5 = bfloat16 are)", f, hd[1]);
    const LlmcHeader h{hd[1], hd[2], hd[3], hd[4], hd[5], hd[6], hd[7]};
    auto positive = [&](std::int64_t v, const char* what) {
        PESO_CHECK(v > 0, IOError, "{}: corrupted header: {} is {}", f, what, v);
    };
    positive(h.max_t, "max_seq_len");
    positive(h.vocab, "vocab_size");
    positive(h.layers, "num_layers");
    positive(h.heads, "num_heads");
    positive(h.channels, "channels");
    positive(h.padded_vocab, "padded_vocab_size");
    PESO_CHECK(h.padded_vocab >= h.vocab, IOError, "{}: corrupted header: padded_vocab_size {} < vocab_size {}", f,
               h.padded_vocab, h.vocab);
    PESO_CHECK(h.channels % h.heads == 0, IOError, "{}: corrupted header: {} heads do not divide {} channels", f,
               h.heads, h.channels);
    // In 128 bits: a corrupted header must not overflow into a plausible size.
    using u128 = unsigned __int128;
    const u128 C = static_cast<u128>(h.channels), L = static_cast<u128>(h.layers);
    const u128 floats =
        static_cast<u128>(h.padded_vocab) * C + static_cast<u128>(h.max_t) * C + L * (12 * C * C + 13 * C) + 2 * C;
    const u128 expected = kLlmcHeaderBytes + floats * static_cast<unsigned>(h.itemsize());
    PESO_CHECK(expected == size, IOError,
               "{}: {} bytes, but its header (vocab {}, {} layers, {} channels, block {}) needs {}{}", f, size, h.vocab,
               h.layers, h.channels, h.max_t,
               expected > static_cast<u128>(UINT64_MAX) ? std::string("more than 2^64")
                                                        : std::to_string(static_cast<std::uint64_t>(expected)),
               expected > size ? " (truncated?)" : " (trailing data?)");
    return h;
}

Tensor read_llmc_tensor(std::ifstream& in, const Dims& shape, const LlmcHeader& h, const fs::path& file,
                        const std::string& name) {
    Tensor raw = empty(shape, TensorOptions(h.version == kLlmcBf16 ? DType::bf16 : DType::f32));
    in.read(static_cast<char*>(raw.data_ptr()), static_cast<std::streamsize>(raw.numel() * h.itemsize()));
    PESO_CHECK(in.good(), IOError, "{}: cannot read parameter '{}'", file.string(), name);
    return to_f32(raw);
}

GptWeights read_llmc(const fs::path& file, std::int64_t n_head) {
    check_regular_file(file, "an llm.c checkpoint");
    std::ifstream in(file, std::ios::binary);
    PESO_CHECK(in.good(), IOError, "cannot open {}", file.string());
    const LlmcHeader h = read_llmc_header(in, file, fs::file_size(file));
    PESO_CHECK(n_head <= 0 || n_head == h.heads, ValueError, "{}: --n-head {} contradicts the header's {} heads",
               file.string(), n_head, h.heads);
    GptWeights out;
    out.n_head_source = "llm.c header";
    GptConfig& c = out.config;
    c.n_layer = h.layers;
    c.n_head = h.heads;
    c.n_embd = h.channels;
    c.block_size = h.max_t;
    c.vocab_size = h.vocab;
    c.bias = true;
    c.dropout = 0.0;
    const auto shapes = gpt_state_shapes(c);
    std::map<std::string, Tensor> by_name;
    auto read = [&](const std::string& name) {
        const auto it = std::find_if(shapes.begin(), shapes.end(), [&](const auto& s) { return s.first == name; });
        by_name[name] = read_llmc_tensor(in, it->second, h, file, name);
    };
    read("transformer.wte.weight");
    in.seekg((h.padded_vocab - h.vocab) * h.channels * h.itemsize(), std::ios::cur);  // the padding rows
    read("transformer.wpe.weight");
    for (std::string_view p : kLayerParams)
        for (std::int64_t i = 0; i < h.layers; ++i) read(layer_name(i, p));
    read("transformer.ln_f.weight");
    read("transformer.ln_f.bias");
    by_name["lm_head.weight"] = by_name.at("transformer.wte.weight");
    for (const auto& [name, shape] : shapes) out.state.emplace_back(name, std::move(by_name.at(name)));
    return out;
}

void write_floats(nn::AtomicFile& out, const Tensor& t) {
    const Tensor c = to_f32(t);
    out.write(c.data_ptr<float>(), static_cast<std::size_t>(c.numel()) * sizeof(float));
}

void write_llmc(const GptConfig& c, const nn::NamedTensors& state, const fs::path& file) {
    const auto by_name = checked_state(c, state, "llm.c");
    const std::int64_t padded = llmc_padded_vocab(c.vocab_size);
    std::array<std::int32_t, kLlmcHeaderInts> hd{};
    const std::array<std::int64_t, 8> values{kLlmcMagic, kLlmcFp32, c.block_size, c.vocab_size,
                                             c.n_layer,  c.n_head,  c.n_embd,     padded};
    for (std::size_t i = 0; i < values.size(); ++i) {
        PESO_CHECK(values[i] <= INT32_MAX, ValueError, "llm.c format: header field {} ({}) does not fit in int32", i,
                   values[i]);
        hd[i] = static_cast<std::int32_t>(values[i]);
    }
    // Streamed to a temporary file beside the target, fsync'ed and renamed
    // over it: never a partial file under that name, even after a crash.
    nn::AtomicFile out(file.string());
    out.write(hd.data(), kLlmcHeaderBytes);
    write_floats(out, by_name.at("transformer.wte.weight"));
    write_floats(out, zeros({padded - c.vocab_size, c.n_embd}));
    write_floats(out, by_name.at("transformer.wpe.weight"));
    for (std::string_view p : kLayerParams)
        for (std::int64_t i = 0; i < c.n_layer; ++i) write_floats(out, by_name.at(layer_name(i, p)));
    write_floats(out, by_name.at("transformer.ln_f.weight"));
    write_floats(out, by_name.at("transformer.ln_f.bias"));
    out.commit();
}

}  // namespace

// ---- public -------------------------------------------------------------------------

GptFormat parse_gpt_format(std::string_view name) {
    if (name == "hf") return GptFormat::hf;
    if (name == "llmc") return GptFormat::llmc;
    throw ValueError(fmt::format("unknown GPT file format '{}' (expected hf or llmc)", name));
}

std::string_view format_name(GptFormat f) { return f == GptFormat::hf ? "hf" : "llmc"; }

std::vector<std::pair<std::string, Dims>> gpt_state_shapes(const GptConfig& c) {
    const std::int64_t C = c.n_embd;
    std::vector<std::pair<std::string, Dims>> out{{"transformer.wte.weight", {c.vocab_size, C}},
                                                  {"transformer.wpe.weight", {c.block_size, C}}};
    const std::array<Dims, 12> layer_shapes{Dims{C}, Dims{C}, Dims{3 * C, C}, Dims{3 * C}, Dims{C, C},     Dims{C},
                                            Dims{C}, Dims{C}, Dims{4 * C, C}, Dims{4 * C}, Dims{C, 4 * C}, Dims{C}};
    for (std::int64_t i = 0; i < c.n_layer; ++i)
        for (std::size_t k = 0; k < kLayerParams.size(); ++k)
            out.emplace_back(layer_name(i, kLayerParams[k]), layer_shapes[k]);
    out.emplace_back("transformer.ln_f.weight", Dims{C});
    out.emplace_back("transformer.ln_f.bias", Dims{C});
    out.emplace_back("lm_head.weight", Dims{c.vocab_size, C});
    return out;
}

void validate_gpt_state(const GptConfig& c, const nn::NamedTensors& state, std::string_view what) {
    std::map<std::string, Tensor> by_name;
    for (const auto& [name, t] : state)
        PESO_CHECK(by_name.emplace(name, t).second, IOError, "{}: '{}' appears twice", what, name);
    const auto shapes = gpt_state_shapes(c);
    for (const auto& [name, shape] : shapes) {
        const auto it = by_name.find(name);
        if (it == by_name.end() && name == "lm_head.weight") continue;  // tied to wte
        PESO_CHECK(it != by_name.end(), IOError, "{}: no tensor '{}' (shape {}) for this config", what, name, shape);
        PESO_CHECK(it->second.sizes() == shape, IOError, "{}: '{}' has shape {}, the config needs {}", what, name,
                   it->second.sizes(), shape);
        PESO_CHECK(is_float_dtype(it->second.dtype()), IOError, "{}: '{}' has dtype {}, expected a floating type", what,
                   name, it->second.dtype());
    }
    for (const auto& kv : state)
        PESO_CHECK(std::any_of(shapes.begin(), shapes.end(), [&](const auto& s) { return s.first == kv.first; }),
                   IOError, "{}: unexpected tensor '{}' (shape {}) for this config", what, kv.first, kv.second.sizes());
}

std::int64_t gpt2_family_n_head(std::int64_t n_embd) {
    switch (n_embd) {
        case 768:
            return 12;
        case 1024:
            return 16;
        case 1280:
            return 20;
        case 1600:
            return 25;
        default:
            return 0;
    }
}

std::int64_t hf_n_head(const fs::path& file, std::int64_t n_embd, std::string* source) {
    const fs::path config = file.parent_path() / "config.json";
    std::error_code ec;
    if (fs::is_regular_file(config, ec)) {
        std::ifstream in(config);
        const auto j = nlohmann::json::parse(in, nullptr, false);
        // Hugging Face's config names it n_head (and its width n_embd); ignore a config of another model.
        if (j.is_object() && j.contains("n_head") && j["n_head"].is_number_integer() &&
            (!j.contains("n_embd") || j["n_embd"] == n_embd)) {
            if (source) *source = config.string();
            return j["n_head"].get<std::int64_t>();
        }
    }
    const std::int64_t n = gpt2_family_n_head(n_embd);
    if (source) *source = n > 0 ? fmt::format("GPT-2's for n_embd {}", n_embd) : "";
    return n;
}

std::string hf_config_json(const GptConfig& c, std::optional<std::int64_t> bos_eos) {
    const nlohmann::ordered_json token = bos_eos ? nlohmann::ordered_json(*bos_eos) : nlohmann::ordered_json();
    const nlohmann::ordered_json j = {{"architectures", {"GPT2LMHeadModel"}},
                                      {"model_type", "gpt2"},
                                      {"vocab_size", c.vocab_size},
                                      {"n_positions", c.block_size},
                                      {"n_ctx", c.block_size},
                                      {"n_embd", c.n_embd},
                                      {"n_layer", c.n_layer},
                                      {"n_head", c.n_head},
                                      {"n_inner", nullptr},  // 4 * n_embd
                                      {"activation_function", "gelu_new"},
                                      {"resid_pdrop", c.dropout},
                                      {"embd_pdrop", c.dropout},
                                      {"attn_pdrop", c.dropout},
                                      {"layer_norm_epsilon", 1e-5},
                                      {"initializer_range", 0.02},
                                      {"scale_attn_weights", true},
                                      {"bos_token_id", token},
                                      {"eos_token_id", token},
                                      {"tie_word_embeddings", true},
                                      {"use_cache", true},
                                      {"torch_dtype", "float32"}};
    return j.dump(2) + "\n";
}

std::int64_t llmc_padded_vocab(std::int64_t vocab_size) { return (vocab_size + 127) / 128 * 128; }

GptWeights read_gpt_weights(GptFormat format, const fs::path& file, std::int64_t n_head) {
    NoGradGuard no_grad;
    return format == GptFormat::hf ? read_hf(file, n_head) : read_llmc(file, n_head);
}

void write_gpt_weights(GptFormat format, const GptConfig& config, const nn::NamedTensors& state, const fs::path& file) {
    NoGradGuard no_grad;
    format == GptFormat::hf ? write_hf(config, state, file) : write_llmc(config, state, file);
}

ImportedGpt import_gpt(GptFormat format, const fs::path& file, std::int64_t n_head) {
    GptWeights w = read_gpt_weights(format, file, n_head);
    Generator gen(0);  // its own: importing must not move the default generator
    ImportedGpt out{std::make_shared<Gpt>(w.config, &gen), std::move(w.n_head_source)};
    try {
        out.model->load_state_dict(w.state, true);
    } catch (const Error& e) {
        throw IOError(fmt::format("{}: {}", file.string(), e.what()));
    }
    return out;
}

void export_gpt(GptFormat format, const Gpt& model, const fs::path& file) {
    write_gpt_weights(format, model.config(), model.state_dict(), file);
}

}  // namespace peso::models
