// `peso gpt sample` and `peso gpt eval`.
#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/gpt_files.h"
#include "cli/progress.h"
#include "models/gpt/generation.h"
#include "nn/data/token_batches.h"
#include "nn/tokenizers/bpe_tokenizer.h"
#include "nn/tokenizers/utf8_stream.h"

namespace peso::cli {

namespace {

struct SampleArgs {
    std::string ckpt, prompt, prompt_file, device = "cpu";
    std::int64_t tokens = 200, top_k = 0, threads = 0, num_samples = 1;
    double temperature = 0.8, top_p = 1.0;
    std::uint64_t seed = 1337;
    bool no_cache = false;
    std::string dtype = "f32";  // bf16: the weights converted to bfloat16, every op on bf16
};

// The prompt's tokens. As nanoGPT's sample.py: an empty prompt starts from GPT-2's
// <|endoftext|>, or from a newline for a character-level model.
std::vector<std::int64_t> prompt_tokens(const nn::Tokenizer& tok, const std::string& prompt) {
    std::vector<int> ids;
    if (!prompt.empty()) {
        ids = tok.encode(prompt);
    } else if (const auto* bpe = dynamic_cast<const nn::Gpt2Tokenizer*>(&tok); bpe && bpe->eot_id() >= 0) {
        ids = {bpe->eot_id()};
    } else {
        try {
            ids = tok.encode("\n");
        } catch (const Error&) {
            ids = {0};  // a vocabulary without a newline: its first character
        }
    }
    return {ids.begin(), ids.end()};
}

// One token's bytes: a GPT-2 token may hold part of a character (the stream joins them).
std::string token_bytes(const nn::Tokenizer& tok, std::int64_t t) {
    const int id = static_cast<int>(t);
    if (const auto* bpe = dynamic_cast<const nn::Gpt2Tokenizer*>(&tok)) return bpe->decode_bytes({&id, 1});
    return tok.decode(std::span<const int>(&id, 1));
}

void write_out(const std::string& s) {
    std::fwrite(s.data(), 1, s.size(), stdout);
    std::fflush(stdout);
}

int run_sample(const SampleArgs& a) {
    if (a.threads > 0) omp_set_num_threads(static_cast<int>(a.threads));
    const Device device = Device::parse(a.device);
    LoadedGpt g = load_gpt_dir(a.ckpt);
    if (a.dtype == "bf16") g.model->to(DType::bf16);
    const std::string prompt = a.prompt_file.empty() ? a.prompt : read_text_file(a.prompt_file);
    std::vector<std::int64_t> ids = prompt_tokens(*g.tokenizer, prompt);
    const auto block = static_cast<std::size_t>(g.model->config().block_size);
    if (ids.size() > block) {
        // As nanoGPT: the model sees the last block_size tokens.
        std::fprintf(stderr, "note: the prompt is %zu tokens; the model sees its last %zu (its block size)\n",
                     ids.size(), block);
        ids.erase(ids.begin(), ids.end() - static_cast<std::ptrdiff_t>(block));
    }
    if (!device.is_cpu()) g.model->to(device);
    models::SamplingOptions o;
    o.max_new_tokens = a.tokens;
    o.temperature = a.temperature;
    if (a.top_k > 0) o.top_k = a.top_k;
    if (a.top_p < 1.0) o.top_p = a.top_p;
    o.use_cache = !a.no_cache;
    const auto t0 = std::chrono::steady_clock::now();
    std::int64_t n = 0;
    for (std::int64_t i = 0; i < a.num_samples; ++i) {
        if (i > 0) write_out("\n---------------\n");
        o.seed = a.seed + static_cast<std::uint64_t>(i);
        write_out(prompt);
        nn::utf8::Utf8Stream text;
        models::generate(*g.model, ids, o, [&](std::int64_t t) {
            write_out(text.push(token_bytes(*g.tokenizer, t)));
            ++n;
        });
        write_out(text.finish());
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "\n(%lld tokens in %.2f s: %.1f tokens/s)\n", static_cast<long long>(n), s,
                 s > 0 ? static_cast<double>(n) / s : 0.0);
    return 0;
}

struct EvalArgs {
    std::string ckpt, data, split = "all", device = "cpu", dtype = "f32";
    std::int64_t batch = 8, threads = 0;
};

int run_eval(const EvalArgs& a) {
    if (a.threads > 0) omp_set_num_threads(static_cast<int>(a.threads));
    const Device device = Device::parse(a.device);
    LoadedGpt g = load_gpt_dir(a.ckpt);
    if (a.dtype == "bf16") g.model->to(DType::bf16);
    if (!device.is_cpu()) g.model->to(device);
    const bool terminal = Progress::stderr_is_terminal();
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
        total += g.model->forward(x.to(device), y.to(device)).loss.item<double>() * static_cast<double>(k * T);
        count += k * T;
        if (terminal)
            std::fprintf(stderr, "\r%lld/%lld windows", static_cast<long long>(std::min(w + k, n)),
                         static_cast<long long>(n));
    }
    const double loss = total / static_cast<double>(count);
    if (terminal) std::fprintf(stderr, "\r%40s\r", "");
    std::printf("loss %.4f  perplexity %.3f  (%lld tokens in %lld windows of %lld)\n", loss, std::exp(loss),
                static_cast<long long>(count), static_cast<long long>(n), static_cast<long long>(T));
    return 0;
}

}  // namespace

Runner add_gpt_sample(CLI::App& gpt) {
    auto a = std::make_shared<SampleArgs>();
    CLI::App* cmd = gpt.add_subcommand("sample", "generate text from a trained GPT, streaming it as it comes");
    cmd->add_option("--ckpt", a->ckpt, "checkpoint directory (from peso gpt train or import)")->required();
    CLI::Option* prompt =
        cmd->add_option("--prompt", a->prompt,
                        "text to continue; its last block-size tokens are used (empty: GPT-2's <|endoftext|>, or a "
                        "newline for a character-level model)")
            ->default_str("\"\"");
    cmd->add_option("--prompt-file", a->prompt_file, "read the prompt from this file")->excludes(prompt);
    cmd->add_option("--tokens", a->tokens, "new tokens to generate per sample")
        ->capture_default_str()
        ->check(at_least(0));
    cmd->add_option("--num-samples", a->num_samples, "samples to draw (seeds --seed, --seed + 1, ...)")
        ->capture_default_str()
        ->check(at_least(1));
    cmd->add_option("--temperature", a->temperature, "softmax temperature (0: greedy)")
        ->capture_default_str()
        ->check(at_least(0));
    cmd->add_option("--top-k", a->top_k, "keep the k most likely tokens (0: all)")
        ->capture_default_str()
        ->check(at_least(0));
    cmd->add_option("--top-p", a->top_p,
                    "nucleus sampling: keep the most likely tokens up to this probability (1: off)")
        ->capture_default_str()
        ->check(open_closed(0, 1));
    cmd->add_option("--seed", a->seed, "random seed of the first sample")->capture_default_str();
    cmd->add_option("--device", a->device, "cpu, cuda or cuda:N")->capture_default_str()->check(device_check());
    cmd->add_option("--threads", a->threads, "CPU threads (0: $OMP_NUM_THREADS, else all cores)")
        ->capture_default_str()
        ->check(at_least(0));
    cmd->add_flag("--no-cache", a->no_cache, "recompute the prefix at every token (for comparison)");
    cmd->add_option("--dtype", a->dtype, "f32, or bf16: the weights in bfloat16 (half the memory), ops computing in "
                                         "float32 and rounding their results to bfloat16")
        ->check(CLI::IsMember({"f32", "bf16"}))
        ->option_text("{f32,bf16}=f32");  // CLI11's own text would leave one space before the description
    return [a, cmd]() { return cmd->parsed() ? run_sample(*a) : -1; };
}

Runner add_gpt_eval(CLI::App& gpt) {
    auto a = std::make_shared<EvalArgs>();
    CLI::App* cmd = gpt.add_subcommand("eval", "loss and perplexity of a GPT over a whole text file");
    cmd->add_option("--ckpt", a->ckpt, "checkpoint directory (from peso gpt train or import)")->required();
    cmd->add_option("--data", a->data, "text file")->required();
    cmd->add_option("--batch", a->batch, "windows per forward pass")->capture_default_str()->check(at_least(1));
    cmd->add_option("--split", a->split,
                    "all: the whole file; val: its last 10% (the split `peso gpt train` holds out)")
        ->capture_default_str()
        ->check(CLI::IsMember({"all", "val"}));
    cmd->add_option("--dtype", a->dtype, "f32, or bf16: the weights in bfloat16, every op on bf16")
        ->check(CLI::IsMember({"f32", "bf16"}))
        ->option_text("{f32,bf16}=f32");  // CLI11's own text would leave one space before the description
    cmd->add_option("--device", a->device, "cpu, cuda or cuda:N")->capture_default_str()->check(device_check());
    cmd->add_option("--threads", a->threads, "CPU threads (0: $OMP_NUM_THREADS, else all cores)")
        ->capture_default_str()
        ->check(at_least(0));
    return [a, cmd]() { return cmd->parsed() ? run_eval(*a) : -1; };
}

}  // namespace peso::cli
