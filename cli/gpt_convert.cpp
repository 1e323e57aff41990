// `peso gpt import` and `peso gpt export`: GPT-2 weights from and to Hugging
// Face's safetensors and llm.c's checkpoint (models/gpt/formats.h).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/gpt_files.h"
#include "cli/out_dir_guard.h"
#include "models/gpt/formats.h"
#include "nn/serialization/safetensors.h"
#include "nn/tokenizers/char_tokenizer.h"

namespace peso::cli {

namespace {

constexpr std::int64_t kGpt2Vocab = 50257;

struct ImportArgs {
    std::string format, file, out, tokenizer_from;
    std::int64_t n_head = 0;
    bool force = false;
};

struct ExportArgs {
    std::string format, ckpt, out;
};

std::string describe(const models::GptConfig& c) {
    return fmt::format("{} layers, {} heads, n_embd {}, block {}, vocab {}", c.n_layer, c.n_head, c.n_embd,
                       c.block_size, c.vocab_size);
}

// What Gpt2Tokenizer::to_json() writes; the BPE files themselves are found at
// run time (scripts/fetch_gpt2_bpe.sh), so importing does not need them.
std::string gpt2_tokenizer_json() {
    nlohmann::ordered_json j;
    j["type"] = "gpt2";
    j["version"] = 1;
    j["vocab_size"] = kGpt2Vocab;
    return j.dump();
}

// The tokenizer file that `export` writes beside FILE, and `import` looks for there:
// "<stem>.tokenizer.json" (not tokenizer.json, which Hugging Face's loaders read in their own format).
fs::path tokenizer_beside(const fs::path& file) {
    return file.parent_path() / (file.stem().string() + ".tokenizer.json");
}

// The tokenizer of an imported model, as tokenizer.json text: --tokenizer-from (a tokenizer
// file, or a checkpoint directory's tokenizer.json), else the file export wrote beside FILE,
// else GPT-2's. GPT-2's BPE files are not needed to import (only to sample).
struct ImportedTokenizer {
    std::string json, source;
};

ImportedTokenizer import_tokenizer(const ImportArgs& a, const models::GptConfig& config) {
    fs::path path;
    if (!a.tokenizer_from.empty()) {
        path = fs::is_directory(a.tokenizer_from)
                   ? checkpoint_files(a.tokenizer_from).require("tokenizer.json", "peso GPT checkpoint")
                   : fs::path(a.tokenizer_from);
        PESO_CHECK(fs::exists(path), IOError, "--tokenizer-from: no such file: {}", path.string());
    } else if (fs::exists(tokenizer_beside(a.file))) {
        path = tokenizer_beside(a.file);
    } else {
        return {gpt2_tokenizer_json(), "GPT-2's BPE (no tokenizer file beside it)"};
    }
    const auto j = nlohmann::json::parse(read_text_file(path), nullptr, false);
    // GPT-2's is taken as it is (a smaller model gets the note below, as without a tokenizer file).
    if (j.is_object() && j.value("type", "") == "gpt2") return {gpt2_tokenizer_json(), path.string()};
    const auto tok = read_tokenizer_file(path);
    PESO_CHECK(tok->vocab_size() <= config.vocab_size, IOError, "{}: the tokenizer has {} tokens but the model only {}",
               path.string(), tok->vocab_size(), config.vocab_size);
    return {tok->to_json(), path.string()};
}

void check_out_dir(const fs::path& dir, bool force) {
    if (!fs::exists(dir)) return;
    PESO_CHECK(fs::is_directory(dir), IOError, "--out {} exists and is not a directory", dir.string());
    PESO_CHECK(force || fs::is_empty(dir), IOError, "--out {} exists and is not empty (--force overwrites its files)",
               dir.string());
}

int run_import(const ImportArgs& a) {
    const auto format = models::parse_gpt_format(a.format);
    PESO_CHECK(a.n_head >= 0, ValueError, "--n-head must be positive, got {}", a.n_head);
    const fs::path out(a.out);
    check_out_dir(out, a.force);  // before the (long) read
    const models::GptWeights w = models::read_gpt_weights(format, a.file, a.n_head);
    const ImportedTokenizer tok = import_tokenizer(a, w.config);
    OutDirGuard guard(out);  // a failed write leaves no part of a checkpoint behind
    guard.create();
    // A model is not built only to be saved: the weights go straight to the files.
    save_gpt_dir(out, w.config, w.state, tok.json);
    guard.keep();
    std::printf("imported %s (%s format): %s (heads from %s, tokenizer from %s)\ninto %s\n", a.file.c_str(),
                a.format.c_str(), describe(w.config).c_str(), w.n_head_source.c_str(), tok.source.c_str(),
                out.string().c_str());
    if (w.config.vocab_size < kGpt2Vocab && tok.json == gpt2_tokenizer_json())
        std::fprintf(stderr,
                     "note: the model has %lld tokens, fewer than GPT-2's %lld; tokenizer.json names GPT-2's BPE, "
                     "so sampling needs a tokenizer that fits (--tokenizer-from)\n",
                     static_cast<long long>(w.config.vocab_size), static_cast<long long>(kGpt2Vocab));
    return 0;
}

int run_export(const ExportArgs& a) {
    const auto format = models::parse_gpt_format(a.format);
    const fs::path dir(a.ckpt), out(a.out);
    PESO_CHECK(fs::is_directory(dir), IOError, "no checkpoint directory {}", dir.string());
    const nn::FileSetReader files = checkpoint_files(dir);
    const char* what = "peso GPT checkpoint";
    const fs::path config_file = files.require("config.json", what), weights = files.require("model.safetensors", what),
                   tokenizer_file = files.require("tokenizer.json", what);
    PESO_CHECK(!fs::is_directory(out), IOError, "--out {} is a directory; give a file name", out.string());
    // The config.json and tokenizer file written beside --out must not replace the checkpoint's own.
    std::error_code ec;
    PESO_CHECK(!fs::equivalent(fs::absolute(out).parent_path(), dir, ec), IOError,
               "--out {} is inside the checkpoint directory {}; export to another directory", out.string(),
               dir.string());
    const auto config = read_config_file(config_file);
    const std::string tokenizer_json = read_text_file(tokenizer_file);
    const auto tok = nlohmann::json::parse(tokenizer_json, nullptr, false);
    const bool gpt2 = tok.is_object() && tok.value("type", "") == "gpt2";
    const nn::NamedTensors state = nn::load_safetensors(weights.string()).tensors;
    models::validate_gpt_state(config, state, weights.string());
    models::write_gpt_weights(format, config, state, out);
    // Beside the weights: the tokenizer (which `import` takes back), and for Hugging Face the config its
    // GPT-2 loaders need.
    write_text_file(tokenizer_beside(out), tokenizer_json);
    if (format == models::GptFormat::hf) {
        std::optional<std::int64_t> bos_eos;
        if (gpt2) {
            bos_eos = kGpt2Vocab - 1;  // <|endoftext|>
        } else if (const auto chars = nn::tokenizer_from_json(tokenizer_json);
                   const auto* c = dynamic_cast<const nn::CharTokenizer*>(chars.get())) {
            if (c->id_of(U'\n') >= 0) bos_eos = c->id_of(U'\n');  // where sampling starts an empty prompt
        }
        write_text_file(out.parent_path() / "config.json", models::hf_config_json(config, bos_eos));
    }
    std::printf("exported %s: %s\ninto %s (%s format), with %s%s\n", dir.string().c_str(), describe(config).c_str(),
                out.string().c_str(), a.format.c_str(), tokenizer_beside(out).string().c_str(),
                format == models::GptFormat::hf ? " and config.json" : "");
    return 0;
}

}  // namespace

Runner add_gpt_convert(CLI::App& gpt) {
    const std::vector<std::string> formats{"hf", "llmc"};
    const char* format_help = "hf: Hugging Face GPT-2 safetensors; llmc: llm.c's gpt2_*.bin checkpoint";

    auto im = std::make_shared<ImportArgs>();
    CLI::App* imp =
        gpt.add_subcommand("import", "convert GPT-2 weights (Hugging Face or llm.c) into a peso checkpoint");
    imp->add_option("--format", im->format, format_help)->required()->check(CLI::IsMember(formats));
    imp->add_option("FILE", im->file, "the weights: model.safetensors (hf) or gpt2_124M.bin (llmc)")->required();
    imp->add_option("--out", im->out, "checkpoint directory to write")->required();
    imp->add_option("--n-head", im->n_head,
                    "attention heads (hf only; default: config.json beside FILE, else GPT-2's for its width)");
    imp->add_flag("--force", im->force, "overwrite the files of a non-empty --out directory");
    imp->add_option("--tokenizer-from", im->tokenizer_from,
                    "the model's tokenizer: a tokenizer.json or a checkpoint directory (default: the "
                    "<FILE stem>.tokenizer.json that export writes beside FILE, else GPT-2's BPE)");

    auto ex = std::make_shared<ExportArgs>();
    CLI::App* exp =
        gpt.add_subcommand("export", "write a peso GPT checkpoint's weights as Hugging Face or llm.c files");
    exp->add_option("--format", ex->format, format_help)->required()->check(CLI::IsMember(formats));
    exp->add_option("--ckpt", ex->ckpt, "checkpoint directory (from peso gpt train or import)")->required();
    exp->add_option("--out", ex->out,
                    "file to write; beside it go <stem>.tokenizer.json and, for hf, Hugging Face's config.json")
        ->required();

    return [im, imp, ex, exp]() {
        if (imp->parsed()) return run_import(*im);
        if (exp->parsed()) return run_export(*ex);
        return -1;
    };
}

}  // namespace peso::cli
