// GPT-2 weights from Hugging Face and llm.c files: the committed fixtures of
// tests/fixtures/gpt2 (written by make_fixture.py with PyTorch) must give the
// reference logits, export -> import must be lossless, bad files must fail
// with an IOError naming the problem.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "models/gpt/formats.h"
#include "nn/serialization/safetensors.h"

using namespace peso;
using namespace peso::models;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(PESO_SOURCE_DIR) / "tests" / "fixtures" / "gpt2";
const fs::path kHf = kFixtures / "hf_tiny.safetensors";
const fs::path kLlmc = kFixtures / "llmc_tiny.bin";

// One directory per process, removed when the tests end.
struct TempDir {
    fs::path path = fs::temp_directory_path() / ("peso_test_gpt_formats_" + std::to_string(::getpid()));
    TempDir() {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

fs::path temp_dir() {
    static const TempDir dir;
    return dir.path;
}

std::vector<char> read_bytes(const fs::path& p) { return nn::read_file(p.string()); }

void write_bytes(const fs::path& p, const std::vector<char>& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

nlohmann::json reference() {
    std::ifstream in(kFixtures / "reference.json");
    REQUIRE(in.good());
    return nlohmann::json::parse(in);
}

// The largest |difference| between the model's logits and the reference's.
double max_logit_error(const Gpt& model, const nlohmann::json& ref) {
    const auto tokens = ref["tokens"].get<std::vector<std::int64_t>>();
    const auto expected = ref["logits"].get<std::vector<std::vector<double>>>();
    NoGradGuard g;
    const Tensor idx = from_vector(tokens, Dims{1, static_cast<std::int64_t>(tokens.size())});
    const Tensor logits = model.forward(idx).logits;
    REQUIRE(logits.sizes() == Dims{1, static_cast<std::int64_t>(tokens.size()), ref["vocab_size"].get<std::int64_t>()});
    const auto got = logits.to_vector<float>();
    double worst = 0;
    std::size_t k = 0;
    for (const auto& row : expected)
        for (double v : row) worst = std::max(worst, std::abs(static_cast<double>(got[k++]) - v));
    return worst;
}

// Same names, shapes, dtypes and bytes.
bool bit_identical(const Gpt& a, const Gpt& b) {
    const auto sa = a.state_dict(), sb = b.state_dict();
    if (sa.size() != sb.size()) return false;
    for (std::size_t i = 0; i < sa.size(); ++i) {
        const Tensor x = sa[i].second.contiguous(), y = sb[i].second.contiguous();
        if (sa[i].first != sb[i].first || x.sizes() != y.sizes() || x.dtype() != y.dtype()) return false;
        if (std::memcmp(x.data_ptr(), y.data_ptr(), static_cast<std::size_t>(x.numel()) * itemsize(x.dtype())) != 0)
            return false;
    }
    return true;
}

// The message of the peso error of type E that f throws ("" and a failed check otherwise).
template <typename E, typename F> std::string error_of(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    } catch (const std::exception& e) {
        FAIL("wrong exception: " << e.what());
        return "";
    }
    FAIL("no exception");
    return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

void put_i32(std::vector<char>& bytes, std::size_t index, std::int32_t v) {
    std::memcpy(bytes.data() + index * 4, &v, 4);
}

}  // namespace

TEST_CASE("GPT formats: both fixtures import to the reference's config and logits") {
    const auto ref = reference();
    const ImportedGpt hf = import_gpt(GptFormat::hf, kHf, 2);
    const ImportedGpt llmc = import_gpt(GptFormat::llmc, kLlmc);
    for (const ImportedGpt* m : {&hf, &llmc}) {
        const GptConfig& c = m->model->config();
        CHECK(c.n_layer == ref["n_layer"].get<std::int64_t>());
        CHECK(c.n_head == ref["n_head"].get<std::int64_t>());
        CHECK(c.n_embd == ref["n_embd"].get<std::int64_t>());
        CHECK(c.block_size == ref["block_size"].get<std::int64_t>());
        CHECK(c.vocab_size == ref["vocab_size"].get<std::int64_t>());
        CHECK(max_logit_error(*m->model, ref) < 1e-4);
    }
    CHECK(hf.n_head_source == "--n-head");
    CHECK(llmc.n_head_source == "llm.c header");
    // The two files hold the same weights (Conv1D transposed, padding dropped).
    CHECK(bit_identical(*hf.model, *llmc.model));
}

TEST_CASE("GPT formats: weights without a model: names and order of Gpt::state_dict, validation") {
    GptConfig c;
    c.n_layer = 3;
    c.n_head = 2;
    c.n_embd = 8;
    c.block_size = 5;
    c.vocab_size = 7;
    const Gpt model(c);
    const auto state = model.state_dict();
    const auto shapes = gpt_state_shapes(c);
    REQUIRE(shapes.size() == state.size());
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        CHECK(shapes[i].first == state[i].first);
        CHECK(shapes[i].second == state[i].second.sizes());
    }
    validate_gpt_state(c, state, "m");
    nn::NamedTensors untied(state.begin(), state.end() - 1);  // lm_head.weight may be left out
    validate_gpt_state(c, untied, "m");
    CHECK(contains(error_of<IOError>([&] { validate_gpt_state(c, {state.begin() + 1, state.end()}, "m.st"); }),
                   "m.st: no tensor 'transformer.wte.weight'"));
    auto bad = state;
    bad[3].second = zeros({3});
    CHECK(contains(error_of<IOError>([&] { validate_gpt_state(c, bad, "m"); }), "'transformer.h.0.ln_1.bias' has shape"));
    bad = state;
    bad.emplace_back("transformer.h.3.ln_1.weight", zeros({8}));
    CHECK(contains(error_of<IOError>([&] { validate_gpt_state(c, bad, "m"); }), "unexpected tensor"));
    bad = state;
    bad.push_back(state.front());
    CHECK(contains(error_of<IOError>([&] { validate_gpt_state(c, bad, "m"); }), "twice"));

    // read_gpt_weights gives the state in Gpt::state_dict order, lm_head included.
    const GptWeights w = read_gpt_weights(GptFormat::llmc, kLlmc);
    CHECK(w.config.n_layer == 2);
    CHECK(w.n_head_source == "llm.c header");
    const auto ref_shapes = gpt_state_shapes(w.config);
    REQUIRE(w.state.size() == ref_shapes.size());
    for (std::size_t i = 0; i < ref_shapes.size(); ++i) CHECK(w.state[i].first == ref_shapes[i].first);
    CHECK(equal(w.state.back().second, w.state.front().second));
    // write_gpt_weights of that state without lm_head.weight reproduces the file.
    write_gpt_weights(GptFormat::llmc, w.config, {w.state.begin(), w.state.end() - 1}, temp_dir() / "w.bin");
    CHECK(read_bytes(temp_dir() / "w.bin") == read_bytes(kLlmc));
}

TEST_CASE("GPT formats: export -> import is lossless; llm.c export reproduces llm.c's file byte for byte") {
    const auto dir = temp_dir();
    const auto model = import_gpt(GptFormat::llmc, kLlmc).model;

    export_gpt(GptFormat::llmc, *model, dir / "tiny.bin");
    CHECK(read_bytes(dir / "tiny.bin") == read_bytes(kLlmc));  // the same header, order and zero padding
    CHECK(bit_identical(*import_gpt(GptFormat::llmc, dir / "tiny.bin").model, *model));

    export_gpt(GptFormat::hf, *model, dir / "tiny.safetensors");
    CHECK(bit_identical(*import_gpt(GptFormat::hf, dir / "tiny.safetensors", 2).model, *model));
    const auto content = nn::load_safetensors((dir / "tiny.safetensors").string());
    CHECK(content.tensors.front().first == "wte.weight");  // Hugging Face's un-prefixed names
    CHECK(content.metadata.at("format") == "pt");
    // Exactly the fixture's tensors (written by PyTorch in Hugging Face's layout), less its buffers.
    std::map<std::string, Tensor> fixture;
    for (const auto& [name, t] : nn::load_safetensors(kHf.string()).tensors)
        if (!name.ends_with(".attn.bias") && !name.ends_with(".attn.masked_bias")) fixture.emplace(name, t);
    CHECK(content.tensors.size() == fixture.size());
    for (const auto& [name, t] : content.tensors) {
        CAPTURE(name);
        REQUIRE(fixture.count(name) == 1);
        CHECK(equal(t, fixture.at(name)));
    }
    bool has_conv1d = false;
    for (const auto& [name, t] : content.tensors) {
        CHECK(name.rfind("lm_head", 0) != 0);  // tied: not stored
        if (name == "h.1.mlp.c_fc.weight") {
            has_conv1d = true;
            CHECK(t.sizes() == Dims{16, 64});  // (in, out)
            CHECK(equal(t, model->h->operator[](1)->mlp->c_fc->weight.transpose(0, 1)));
        }
    }
    CHECK(has_conv1d);

    // A fresh model of another shape, with a vocabulary that needs no padding
    // and one that does, through both formats.
    for (std::int64_t vocab : {128, 130}) {
        GptConfig c;
        c.n_layer = 3;
        c.n_head = 4;
        c.n_embd = 32;
        c.block_size = 24;
        c.vocab_size = vocab;
        Generator gen(static_cast<std::uint64_t>(vocab));
        const Gpt fresh(c, &gen);
        export_gpt(GptFormat::llmc, fresh, dir / "fresh.bin");
        CHECK(fs::file_size(dir / "fresh.bin") ==
              static_cast<std::uintmax_t>(1024 + 4 * (fresh.num_parameters() + (llmc_padded_vocab(vocab) - vocab) * 32)));
        CHECK(bit_identical(*import_gpt(GptFormat::llmc, dir / "fresh.bin").model, fresh));
        export_gpt(GptFormat::hf, fresh, dir / "fresh.safetensors");
        CHECK(bit_identical(*import_gpt(GptFormat::hf, dir / "fresh.safetensors", 4).model, fresh));
    }
    CHECK(llmc_padded_vocab(50257) == 50304);
    CHECK(llmc_padded_vocab(128) == 128);
}

TEST_CASE("GPT formats: Hugging Face variants: transformer. prefix, tied lm_head, n_head from config.json") {
    const auto dir = temp_dir();
    const auto ref = reference();
    auto tensors = nn::load_safetensors(kHf.string()).tensors;

    SUBCASE("names prefixed by transformer. and a tied lm_head.weight") {
        nn::NamedTensors prefixed;
        for (const auto& [name, t] : tensors) prefixed.emplace_back("transformer." + name, t);
        prefixed.emplace_back("lm_head.weight", tensors.front().second);
        nn::save_safetensors((dir / "prefixed.safetensors").string(), prefixed);
        CHECK(max_logit_error(*import_gpt(GptFormat::hf, dir / "prefixed.safetensors", 2).model, ref) < 1e-4);

        prefixed.back().second = mul(tensors.front().second, 2.0);
        nn::save_safetensors((dir / "untied.safetensors").string(), prefixed);
        CHECK(contains(error_of<IOError>([&] { import_gpt(GptFormat::hf, dir / "untied.safetensors", 2); }), "lm_head.weight"));
    }
    SUBCASE("n_head: --n-head, config.json beside the file, GPT-2's sizes, else an error asking for it") {
        CHECK(contains(error_of<ValueError>([&] { import_gpt(GptFormat::hf, kHf); }), "--n-head"));
        const auto sub = dir / "with_config";
        fs::create_directories(sub);
        fs::copy_file(kHf, sub / "model.safetensors", fs::copy_options::overwrite_existing);
        std::ofstream(sub / "config.json") << R"({"model_type": "gpt2", "n_embd": 16, "n_head": 2, "n_layer": 2})";
        const ImportedGpt m = import_gpt(GptFormat::hf, sub / "model.safetensors");
        CHECK(m.model->config().n_head == 2);
        CHECK(m.n_head_source == (sub / "config.json").string());
        CHECK(max_logit_error(*m.model, ref) < 1e-4);
        // A config.json of another width is not this model's.
        std::ofstream(sub / "config.json") << R"({"n_embd": 768, "n_head": 12})";
        CHECK_THROWS_AS(import_gpt(GptFormat::hf, sub / "model.safetensors"), ValueError);
        CHECK(gpt2_family_n_head(768) == 12);
        CHECK(gpt2_family_n_head(1024) == 16);
        CHECK(gpt2_family_n_head(1280) == 20);
        CHECK(gpt2_family_n_head(1600) == 25);
        CHECK(gpt2_family_n_head(16) == 0);
        CHECK(contains(error_of<ValueError>([&] { import_gpt(GptFormat::hf, kHf, 3); }), "does not divide"));
    }
}

TEST_CASE("GPT formats: llm.c bfloat16 checkpoints (version 5) are widened exactly") {
    // Make one from the float32 fixture by keeping each float's upper 16 bits.
    const auto f32 = read_bytes(kLlmc);
    std::vector<char> bf16(f32.begin(), f32.begin() + 1024);
    for (std::size_t i = 1024; i < f32.size(); i += 4) bf16.insert(bf16.end(), f32.begin() + i + 2, f32.begin() + i + 4);
    put_i32(bf16, 1, 5);
    write_bytes(temp_dir() / "bf16.bin", bf16);
    const auto model = import_gpt(GptFormat::llmc, temp_dir() / "bf16.bin").model;
    const auto exact = import_gpt(GptFormat::llmc, kLlmc).model;
    const Tensor w = model->h->operator[](0)->attn->c_attn->weight;
    const Tensor e = exact->h->operator[](0)->attn->c_attn->weight;
    const auto got = w.to_vector<float>(), want = e.to_vector<float>();
    bool truncated = true;
    for (std::size_t i = 0; i < got.size(); ++i) {
        std::uint32_t bits;
        std::memcpy(&bits, &want[i], 4);
        bits &= 0xffff0000u;
        float t;
        std::memcpy(&t, &bits, 4);
        truncated = truncated && t == got[i];
    }
    CHECK(truncated);
}

TEST_CASE("GPT formats: Hugging Face float16 and bfloat16 weights are widened exactly") {
    // Half-precision bit patterns and their values: normal, negative zero, subnormals, the largest.
    const std::vector<std::pair<std::uint16_t, float>> f16 = {
        {0x3c00, 1.0f},       {0xc000, -2.0f}, {0x3555, 0.333251953125f}, {0x0001, 0x1p-24f},
        {0x83ff, -0x3ffp-24f}, {0x7bff, 65504.0f}, {0x8000, -0.0f},         {0x0400, 0x1p-14f}};
    const std::vector<std::pair<std::uint16_t, float>> bf16 = {
        {0x3f80, 1.0f}, {0xc000, -2.0f}, {0x3eab, 0.333984375f}, {0x0001, 0x1p-133f}, {0x7f7f, 0x1.fep127f}};
    for (const auto* table : {&f16, &bf16}) {
        const DType dtype = table == &f16 ? DType::f16 : DType::bf16;
        CAPTURE(dtype);
        auto tensors = nn::load_safetensors(kHf.string()).tensors;
        for (auto& [name, t] : tensors) {
            Tensor h = empty(t.sizes(), TensorOptions(dtype));
            auto* bits = static_cast<std::uint16_t*>(h.data_ptr());
            for (std::int64_t i = 0; i < h.numel(); ++i) bits[i] = (*table)[static_cast<std::size_t>(i) % table->size()].first;
            t = h;
        }
        nn::save_safetensors((temp_dir() / "half.safetensors").string(), tensors);
        const auto w = read_gpt_weights(GptFormat::hf, temp_dir() / "half.safetensors", 2);
        bool exact = true;
        for (const auto& [name, t] : w.state) {
            CHECK(t.dtype() == DType::f32);
            // Conv1D weights were transposed: compare in the file's (in, out) order.
            const bool conv = name.ends_with("c_attn.weight") || name.ends_with("c_proj.weight") || name.ends_with("c_fc.weight");
            const auto v = (conv ? t.transpose(0, 1) : t).contiguous().to_vector<float>();
            for (std::size_t i = 0; i < v.size(); ++i) {
                const float want = (*table)[i % table->size()].second;
                exact = exact && std::memcmp(&v[i], &want, 4) == 0;  // bitwise: -0.0 stays negative
            }
        }
        CHECK(exact);
    }
}

TEST_CASE("GPT formats: bad llm.c files give clear errors") {
    const auto dir = temp_dir();
    const auto good = read_bytes(kLlmc);
    auto check_bad = [&](std::vector<char> bytes, const std::string& part) {
        write_bytes(dir / "bad.bin", bytes);
        const std::string msg = error_of<IOError>([&] { import_gpt(GptFormat::llmc, dir / "bad.bin"); });
        CHECK_MESSAGE(contains(msg, part), msg);
        CHECK(contains(msg, "bad.bin"));
    };
    CHECK(contains(error_of<IOError>([&] { import_gpt(GptFormat::llmc, dir / "missing.bin"); }), "no such file"));
    CHECK(contains(error_of<IOError>([&] { import_gpt(GptFormat::llmc, dir); }), "not a regular file"));
    check_bad({}, "too short");
    check_bad(std::vector<char>(good.begin(), good.begin() + 1000), "too short");
    check_bad(std::vector<char>(good.begin(), good.end() - 4), "truncated");
    auto longer = good;
    longer.push_back(0);
    check_bad(longer, "trailing");
    auto wrong = good;
    put_i32(wrong, 0, 12345);
    check_bad(wrong, "magic number 12345");
    put_i32(wrong, 0, 20240328);
    check_bad(wrong, "tokenizer");
    wrong = good;
    put_i32(wrong, 1, 4);
    check_bad(wrong, "version 4");
    wrong = good;
    put_i32(wrong, 4, -2);
    check_bad(wrong, "num_layers is -2");
    wrong = good;
    put_i32(wrong, 6, 2147483647);  // channels: the size must not overflow into something plausible
    put_i32(wrong, 5, 1);
    check_bad(wrong, "needs");
    wrong = good;
    put_i32(wrong, 5, 3);  // 3 heads for 16 channels
    check_bad(wrong, "do not divide");
    wrong = good;
    put_i32(wrong, 7, 96);  // padded vocabulary below the vocabulary
    check_bad(wrong, "padded_vocab_size");
    wrong = good;
    put_i32(wrong, 3, 50);  // a smaller vocabulary still fits the file: valid, with more padding
    write_bytes(dir / "v50.bin", wrong);
    CHECK(import_gpt(GptFormat::llmc, dir / "v50.bin").model->config().vocab_size == 50);
    CHECK(contains(error_of<ValueError>([&] { import_gpt(GptFormat::llmc, kLlmc, 4); }), "contradicts"));
    CHECK(contains(error_of<IOError>([&] { import_gpt(GptFormat::llmc, kHf); }), "magic"));
}

TEST_CASE("GPT formats: bad Hugging Face files give clear errors") {
    const auto dir = temp_dir();
    const auto good = read_bytes(kHf);
    const auto tensors = nn::load_safetensors(kHf.string()).tensors;
    auto import_bad = [&](const nn::NamedTensors& t) {
        nn::save_safetensors((dir / "bad.safetensors").string(), t);
        return error_of<IOError>([&] { import_gpt(GptFormat::hf, dir / "bad.safetensors", 2); });
    };
    auto without = [&](const std::string& name) {
        nn::NamedTensors out;
        for (const auto& kv : tensors)
            if (kv.first != name) out.push_back(kv);
        return out;
    };
    auto replaced = [&](const std::string& name, const Tensor& t) {
        nn::NamedTensors out = tensors;
        for (auto& kv : out)
            if (kv.first == name) kv.second = t;
        return out;
    };

    CHECK(contains(error_of<IOError>([&] { import_gpt(GptFormat::hf, dir / "missing.safetensors", 2); }), "no such file"));
    write_bytes(dir / "cut.safetensors", std::vector<char>(good.begin(), good.end() - 100));
    CHECK_THROWS_AS(import_gpt(GptFormat::hf, dir / "cut.safetensors", 2), IOError);
    write_bytes(dir / "junk.safetensors", std::vector<char>(100, 'x'));
    CHECK_THROWS_AS(import_gpt(GptFormat::hf, dir / "junk.safetensors", 2), IOError);
    CHECK_THROWS_AS(import_gpt(GptFormat::hf, kLlmc, 2), IOError);

    CHECK(contains(import_bad(without("h.1.mlp.c_proj.bias")), "'h.1.mlp.c_proj.bias' is missing"));
    CHECK(contains(import_bad(without("wte.weight")), "'wte.weight' is missing"));
    // A Linear-layout (untransposed) c_attn weight is not GPT-2's Conv1D.
    CHECK(contains(import_bad(replaced("h.0.attn.c_attn.weight", zeros({48, 16}))), "(in, out)"));
    CHECK(contains(import_bad(replaced("h.0.ln_1.weight", zeros({15}))), "'h.0.ln_1.weight' has shape"));
    CHECK(contains(import_bad(replaced("ln_f.bias", zeros({16}, TensorOptions(DType::i64)))), "dtype"));
    auto extra = tensors;
    extra.emplace_back("encoder.layer.0.weight", zeros({2}));
    CHECK(contains(import_bad(extra), "unexpected tensor 'encoder.layer.0.weight'"));
    // Layers 0 and 2 but no 1.
    nn::NamedTensors gap;
    for (const auto& [name, t] : tensors)
        gap.emplace_back(name.rfind("h.1.", 0) == 0 ? "h.2." + name.substr(4) : name, t);
    CHECK(contains(import_bad(gap), "not numbered"));
}

TEST_CASE("GPT formats: export refuses what the formats cannot hold; names") {
    GptConfig c;
    c.n_layer = 1;
    c.n_head = 2;
    c.n_embd = 8;
    c.block_size = 4;
    c.vocab_size = 10;
    c.bias = false;
    const Gpt model(c);
    CHECK(contains(error_of<ValueError>([&] { export_gpt(GptFormat::llmc, model, temp_dir() / "x.bin"); }), "bias=false"));
    CHECK_THROWS_AS(export_gpt(GptFormat::hf, model, temp_dir() / "x.safetensors"), ValueError);
    c.bias = true;
    CHECK(contains(error_of<IOError>([&] { export_gpt(GptFormat::llmc, Gpt(c), temp_dir() / "no_dir" / "x.bin"); }), "cannot write"));
    CHECK(parse_gpt_format("hf") == GptFormat::hf);
    CHECK(parse_gpt_format("llmc") == GptFormat::llmc);
    CHECK(format_name(GptFormat::llmc) == "llmc");
    CHECK_THROWS_AS(parse_gpt_format("onnx"), ValueError);
}
