// `peso gpt sample` and `peso gpt eval`.
#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "cli/commands.h"
#include "cli/gpt_files.h"
#include "models/gpt/generation.h"
#include "nn/data/token_batches.h"

namespace peso::cli {

namespace {

struct SampleArgs {
    std::string ckpt, prompt = "\n";
    std::int64_t tokens = 200, top_k = 0, threads = 0;
    double temperature = 0.8, top_p = 1.0;
    std::uint64_t seed = 1337;
    bool no_cache = false;
};

int run_sample(const SampleArgs& a) {
    if (a.threads > 0) omp_set_num_threads(static_cast<int>(a.threads));
    PESO_CHECK(a.tokens >= 0, ValueError, "--tokens must be >= 0");
    LoadedGpt g = load_gpt_dir(a.ckpt);
    const std::vector<int> ids = g.tokenizer->encode(a.prompt);
    PESO_CHECK(!ids.empty(), ValueError, "--prompt is empty");
    PESO_CHECK(static_cast<std::int64_t>(ids.size()) <= g.model->config().block_size, ValueError,
               "--prompt is {} tokens, longer than the model's block size {}", ids.size(), g.model->config().block_size);
    models::SamplingOptions o;
    o.max_new_tokens = a.tokens;
    o.temperature = a.temperature;
    if (a.top_k > 0) o.top_k = a.top_k;
    if (a.top_p < 1.0) o.top_p = a.top_p;
    o.seed = a.seed;
    o.use_cache = !a.no_cache;
    std::fputs(a.prompt.c_str(), stdout);
    std::fflush(stdout);
    const auto t0 = std::chrono::steady_clock::now();
    std::int64_t n = 0;
    const auto out = models::generate(*g.model, std::vector<std::int64_t>(ids.begin(), ids.end()), o, [&](std::int64_t t) {
        const int id = static_cast<int>(t);
        const std::string piece = g.tokenizer->decode(std::span<const int>(&id, 1));
        std::fwrite(piece.data(), 1, piece.size(), stdout);
        std::fflush(stdout);
        ++n;
    });
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "\n(%lld tokens in %.2f s: %.1f tokens/s)\n", static_cast<long long>(n), s,
                 s > 0 ? static_cast<double>(n) / s : 0.0);
    return 0;
}

struct EvalArgs {
    std::string ckpt, data, split = "all";
    std::int64_t batch = 8, threads = 0;
};

int run_eval(const EvalArgs& a) {
    if (a.threads > 0) omp_set_num_threads(static_cast<int>(a.threads));
    LoadedGpt g = load_gpt_dir(a.ckpt);
    PESO_CHECK(a.split == "all" || a.split == "val", ValueError, "--split must be all or val, got '{}'", a.split);
    std::vector<int> ids = g.tokenizer->encode(read_text_file(a.data));
    if (a.split == "val") {  // the last 10% of the tokens, as `peso gpt train` holds out
        const auto train = static_cast<std::ptrdiff_t>(static_cast<double>(ids.size()) * 0.9);
        ids.erase(ids.begin(), ids.begin() + train);
    }
    const std::int64_t T = g.model->config().block_size;
    PESO_CHECK(static_cast<std::int64_t>(ids.size()) > T, ValueError, "{}: {} tokens are too few for block size {}",
               a.data, ids.size(), T);
    nn::data::TokenBatches windows(std::vector<std::int32_t>(ids.begin(), ids.end()), a.batch, T,
                                   nn::data::BatchOrder::sequential);
    NoGradGuard no_grad;
    g.model->eval();
    double total = 0;
    std::int64_t count = 0;
    const std::int64_t n = windows.num_windows();
    for (std::int64_t w = 0; w < n; w += a.batch) {
        const std::int64_t k = std::min(a.batch, n - w);
        auto [x, y] = windows.window_batch(w, k);
        total += g.model->forward(x, y).loss.item<double>() * static_cast<double>(k * T);
        count += k * T;
        std::fprintf(stderr, "\r%lld/%lld windows", static_cast<long long>(std::min(w + k, n)), static_cast<long long>(n));
    }
    const double loss = total / static_cast<double>(count);
    std::fprintf(stderr, "\r%40s\r", "");
    std::printf("loss %.4f  perplexity %.3f  (%lld tokens in %lld windows of %lld)\n", loss, std::exp(loss),
                static_cast<long long>(count), static_cast<long long>(n), static_cast<long long>(T));
    return 0;
}

}  // namespace

Runner add_gpt_sample(CLI::App& gpt) {
    auto a = std::make_shared<SampleArgs>();
    CLI::App* cmd = gpt.add_subcommand("sample", "generate text from a trained GPT, streaming it as it comes");
    cmd->add_option("--ckpt", a->ckpt, "checkpoint directory (from peso gpt train)")->required();
    cmd->add_option("--prompt", a->prompt, "text to continue")->capture_default_str();
    cmd->add_option("--tokens", a->tokens, "new tokens to generate")->capture_default_str();
    cmd->add_option("--temperature", a->temperature, "0 = greedy")->capture_default_str();
    cmd->add_option("--top-k", a->top_k, "keep the k most likely tokens (0 = all)")->capture_default_str();
    cmd->add_option("--top-p", a->top_p, "nucleus sampling threshold (1 = off)")->capture_default_str();
    cmd->add_option("--seed", a->seed)->capture_default_str();
    cmd->add_option("--threads", a->threads)->capture_default_str();
    cmd->add_flag("--no-cache", a->no_cache, "recompute the prefix at every token (for comparison)");
    return [a, cmd]() { return cmd->parsed() ? run_sample(*a) : -1; };
}

Runner add_gpt_eval(CLI::App& gpt) {
    auto a = std::make_shared<EvalArgs>();
    CLI::App* cmd = gpt.add_subcommand("eval", "loss and perplexity of a GPT over a whole text file");
    cmd->add_option("--ckpt", a->ckpt, "checkpoint directory")->required();
    cmd->add_option("--data", a->data, "text file")->required();
    cmd->add_option("--batch", a->batch, "windows per forward pass")->capture_default_str();
    cmd->add_option("--split", a->split, "all: the whole file; val: its last 10% (the split `peso gpt train` holds out)")
        ->capture_default_str();
    cmd->add_option("--threads", a->threads)->capture_default_str();
    return [a, cmd]() { return cmd->parsed() ? run_eval(*a) : -1; };
}

}  // namespace peso::cli
