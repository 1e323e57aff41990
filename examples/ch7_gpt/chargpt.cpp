// minGPT's chargpt: a character-level gpt-mini (6 layers, 6 heads, 192
// dims, context 128) trained on a text file with minGPT's AdamW settings,
// sampling a continuation with top-k every few steps so the text can be seen
// getting better. The default corpus is the one the project's main job
// trains on: the fortune-cookie files of Debian's fortunes and fortunes-es.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "examples/ch7_gpt/gpt_lab.h"
#include "examples/common/example.h"
#include "examples/common/plot.h"
#include "examples/common/results.h"
#include "models/gpt/generation.h"
#include "nn/data/token_batches.h"
#include "nn/tokenizers/char_tokenizer.h"
#include "peso.h"

using namespace peso;
namespace ex = peso::examples;
namespace fs = std::filesystem;

namespace {

constexpr const char* kFortunesDir = "/usr/share/games/fortunes";

struct Settings {
    std::string data;  // empty: the fortunes
    std::int64_t batch = 8;
    std::int64_t sample_every = 50;
    std::int64_t sample_chars = 200;
    std::int64_t top_k = 10;
    std::string prompt = "\n";
    int threads = 1;
};

std::string read_file(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    PESO_CHECK(f.good(), IOError, "cannot read {}", p.string());
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

// scripts/demo.sh's corpus, built in memory: every fortune file (not the .dat
// indexes, the .u8 duplicates or links), in path order, with the '%' lines
// that separate fortunes turned into blank lines.
std::string fortunes_corpus() {
    PESO_CHECK(fs::is_directory(kFortunesDir), IOError,
               "no --data given and the default corpus {} is missing "
               "(install Debian's fortunes and fortunes-es packages, or pass --data FILE)",
               kFortunesDir);
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(kFortunesDir)) {
        const fs::path& p = e.path();
        if (e.is_symlink() || !e.is_regular_file() || p.extension() == ".dat" || p.extension() == ".u8") continue;
        files.push_back(p);
    }
    PESO_CHECK(!files.empty(), IOError, "no fortune files under {} (pass --data FILE)", kFortunesDir);
    std::sort(files.begin(), files.end());
    std::string text;
    for (const auto& p : files) {
        std::istringstream in(read_file(p));
        for (std::string line; std::getline(in, line);) text += (line == "%" ? "" : line) + "\n";
    }
    return text;
}

std::vector<std::int32_t> to_ids(const std::vector<int>& v) { return {v.begin(), v.end()}; }

// Mean loss over a fixed set of validation windows (the same every call).
double validation_loss(models::Gpt& model, const nn::data::TokenBatches& val, std::int64_t batch,
                       std::int64_t batches, Device device) {
    const bool was_training = model.is_training();
    model.eval();
    NoGradGuard no_grad;
    double total = 0;
    std::int64_t n = 0;
    for (std::int64_t i = 0; i < batches && (i + 1) * batch <= val.num_windows(); ++i, ++n) {
        const auto [x, y] = val.window_batch(i * batch, batch);
        total += model.forward(x.to(device), y.to(device)).loss.item<double>();
    }
    model.train(was_training);
    PESO_CHECK(n > 0, ValueError, "the validation split is shorter than one batch of windows");
    return total / static_cast<double>(n);
}

std::string sample(models::Gpt& model, const nn::CharTokenizer& tok, const Settings& s, std::uint64_t seed) {
    std::vector<std::int64_t> prompt;
    for (int id : tok.encode(s.prompt)) prompt.push_back(id);
    models::SamplingOptions o;
    o.max_new_tokens = s.sample_chars;
    o.top_k = s.top_k;
    o.seed = seed;
    const auto out = models::generate(model, prompt, o);
    const std::vector<int> ids(out.begin(), out.end());
    return s.prompt + tok.decode(ids);
}

void run(const ex::ExampleOptions& opts, const Settings& s) {
    ex::gpt_lab::set_threads(s.threads);
    const Device device = ex::example_device(opts);
    const std::string text = s.data.empty() ? fortunes_corpus() : read_file(s.data);
    PESO_CHECK(!text.empty(), ValueError, "the corpus {} is empty", s.data.empty() ? kFortunesDir : s.data);
    const auto tok = nn::CharTokenizer::from_text(text);
    PESO_CHECK(!s.prompt.empty(), ValueError, "--prompt must not be empty");
    const std::int64_t block = 128;
    auto [train_ids, val_ids] = nn::data::split_tokens(to_ids(tok.encode(text)), 0.9);
    fmt::print("corpus: {} ({} characters, {} distinct; {} for training, {} held out)\n",
               s.data.empty() ? std::string(kFortunesDir) : s.data, train_ids.size() + val_ids.size(),
               tok.vocab_size(), train_ids.size(), val_ids.size());
    PESO_CHECK(static_cast<std::int64_t>(val_ids.size()) > s.batch * (block + 1), ValueError,
               "the corpus is too short for a validation batch ({} characters)", text.size());
    nn::data::TokenBatches train(std::move(train_ids), s.batch, block, nn::data::BatchOrder::random, opts.seed);
    const nn::data::TokenBatches val(std::move(val_ids), s.batch, block, nn::data::BatchOrder::sequential);

    models::Gpt model(models::GptConfig::preset("gpt-mini", tok.vocab_size(), block));
    model.to(device);
    fmt::print("gpt-mini: {} parameters, context {}\n", model.num_parameters(), block);
    const ex::gpt_lab::TrainSettings settings;  // minGPT's: lr 5e-4, betas (0.9, 0.95), wd 0.1, clip 1.0
    auto opt = ex::gpt_lab::make_optimizer(model, settings);

    ex::LossCurve curve;
    const double val_before = validation_loss(model, val, s.batch, 4, device);
    for (std::int64_t step = 1; step <= opts.steps; ++step) {
        const auto [x, y] = train.next();
        curve.add(step, ex::gpt_lab::train_step(model, *opt, x.to(device), y.to(device), settings.grad_clip));
        if (step % 10 == 0) fmt::print("step {:5d}  loss {:.4f}\n", step, curve.last());
        if (s.sample_every > 0 && step % s.sample_every == 0 && step < opts.steps)
            fmt::print("--- sample at step {} (top-k {}) ---\n{}\n---\n", step, s.top_k, sample(model, tok, s, step));
    }
    curve.print_summary();
    const double val_after = validation_loss(model, val, s.batch, 4, device);
    fmt::print("held-out loss: {:.4f} before training, {:.4f} after (uniform guess: {:.4f})\n", val_before, val_after,
               std::log(static_cast<double>(tok.vocab_size())));
    const std::string final_sample = sample(model, tok, s, opts.seed);
    fmt::print("--- final sample (top-k {}) ---\n{}\n---\n", s.top_k, final_sample);

    const ex::Results results(opts.out);
    results.record("loss", curve.last());
    results.record("val_loss", val_after);
    curve.save(opts.out, "chargpt (gpt-mini): training loss");
    std::ofstream(fs::path(opts.out) / "sample.txt") << final_sample << '\n';
}

}  // namespace

int main(int argc, char** argv) {
    Settings s;
    ex::ExampleOptions defaults;
    defaults.steps = 200;
    return ex::run_example(
        argc, argv, {"chargpt", "a character-level gpt-mini on a text file (minGPT's chargpt)"}, defaults,
        [&](CLI::App& app) {
            app.add_option("--data", s.data, "text file (default: the Debian fortunes)");
            app.add_option("--batch", s.batch, "sequences of 128 characters per step")
                ->capture_default_str()
                ->check(CLI::PositiveNumber);
            app.add_option("--sample-every", s.sample_every, "steps between samples (0: only at the end)")
                ->capture_default_str();
            app.add_option("--sample-chars", s.sample_chars, "characters per sample")->capture_default_str();
            app.add_option("--top-k", s.top_k, "sample among the k likeliest characters")
                ->capture_default_str()
                ->check(CLI::PositiveNumber);
            app.add_option("--prompt", s.prompt, "text the samples start from");
            app.add_option("--threads", s.threads, "OpenMP threads (0: OpenMP's default)")->capture_default_str();
        },
        [&](const ex::ExampleOptions& opts) { run(opts, s); });
}
