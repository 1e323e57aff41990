// `peso gpt import` and `peso gpt export`: GPT-2 weights from and to Hugging
// Face's safetensors and llm.c's checkpoint (models/gpt/formats.h).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/gpt_files.h"
#include "cli/out_dir_guard.h"
#include "models/gpt/formats.h"
#include "nn/serialization/safetensors.h"

namespace peso::cli {

namespace {

constexpr std::int64_t kGpt2Vocab = 50257;

struct ImportArgs {
    std::string format, file, out;
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
    OutDirGuard guard(out);  // a failed write leaves no part of a checkpoint behind
    guard.create();
    // What save_gpt_dir writes, without building a model only to save it.
    write_text_file(out / "config.json", w.config.to_json());
    write_text_file(out / "tokenizer.json", gpt2_tokenizer_json());
    nn::save_safetensors((out / "model.safetensors").string(), w.state, {{"format", "pt"}});
    guard.keep();
    std::printf("imported %s (%s format): %s (heads from %s)\ninto %s\n", a.file.c_str(), a.format.c_str(),
                describe(w.config).c_str(), w.n_head_source.c_str(), out.string().c_str());
    if (w.config.vocab_size < kGpt2Vocab)
        std::fprintf(stderr,
                     "note: the model has %lld tokens, fewer than GPT-2's %lld; tokenizer.json names GPT-2's BPE, "
                     "so sampling needs a tokenizer.json that fits\n",
                     static_cast<long long>(w.config.vocab_size), static_cast<long long>(kGpt2Vocab));
    return 0;
}

int run_export(const ExportArgs& a) {
    const auto format = models::parse_gpt_format(a.format);
    const fs::path dir(a.ckpt), out(a.out);
    PESO_CHECK(fs::is_directory(dir), IOError, "no checkpoint directory {}", dir.string());
    for (const char* f : {"config.json", "model.safetensors"})
        PESO_CHECK(fs::exists(dir / f), IOError, "{} is not a peso GPT checkpoint: {} is missing", dir.string(), f);
    PESO_CHECK(!fs::is_directory(out), IOError, "--out {} is a directory; give a file name", out.string());
    // Neither format holds the tokenizer: only config and weights are read.
    const auto config = read_config_file(dir / "config.json");
    const std::string weights = (dir / "model.safetensors").string();
    const nn::NamedTensors state = nn::load_safetensors(weights).tensors;
    models::validate_gpt_state(config, state, weights);
    models::write_gpt_weights(format, config, state, out);
    std::printf("exported %s: %s\ninto %s (%s format)\n", dir.string().c_str(), describe(config).c_str(),
                out.string().c_str(), a.format.c_str());
    if (fs::exists(dir / "tokenizer.json")) {
        const auto tok = nlohmann::json::parse(read_text_file(dir / "tokenizer.json"), nullptr, false);
        if (!(tok.is_object() && tok.value("type", "") == "gpt2"))
            std::fprintf(stderr, "note: the checkpoint's tokenizer is not GPT-2's and is not part of the %s file\n",
                         a.format.c_str());
    }
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

    auto ex = std::make_shared<ExportArgs>();
    CLI::App* exp =
        gpt.add_subcommand("export", "write a peso GPT checkpoint's weights as Hugging Face or llm.c files");
    exp->add_option("--format", ex->format, format_help)->required()->check(CLI::IsMember(formats));
    exp->add_option("--ckpt", ex->ckpt, "checkpoint directory (from peso gpt train or import)")->required();
    exp->add_option("--out", ex->out, "file to write")->required();

    return [im, imp, ex, exp]() {
        if (imp->parsed()) return run_import(*im);
        if (exp->parsed()) return run_export(*ex);
        return -1;
    };
}

}  // namespace peso::cli
