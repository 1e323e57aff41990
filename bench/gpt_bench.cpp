// peso_gpt_bench: the GPT targets of bench/README.md.
//   train     ms per training step (forward, backward, grad clip, AdamW) of
//             the baby GPT, a 6-layer 384-d char model and GPT-2 124M, with
//             the peak resident memory of the process;
//   generate  tokens/s of GPT-2 124M sampling 200 tokens after a 16-token
//             prompt with the KV cache (batch 1).
// Weights are random (speed does not depend on them); batches are random ids.
// Run: peso_gpt_bench [train|generate|baby|small|gpt2] [--steps N] [--warmup N] [--seq T]
//                      [--checkpoint-activations] [--bf16]
//   --seq T overrides the sequence length (GPT-2's default here is 64);
//   --checkpoint-activations recomputes each block during backward;
//   --bf16 trains under peso::autocast (bf16 matrix products, fp32 weights).
#include <fmt/format.h>
#include <omp.h>
#include <sys/resource.h>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "autograd/autocast.h"
#include "backends/host_allocator.h"
#include "bench/timing.h"
#include "models/gpt/generation.h"
#include "models/gpt/gpt.h"
#include "nn/clip_grad.h"
#include "nn/optim/adam.h"
#include "peso.h"

using namespace peso;

namespace {

struct TrainCase {
    std::string name;
    models::GptConfig config;
    std::int64_t batch;
};

models::GptConfig char_config(std::int64_t layers, std::int64_t heads, std::int64_t embd, std::int64_t block) {
    models::GptConfig c;
    c.n_layer = layers;
    c.n_head = heads;
    c.n_embd = embd;
    c.block_size = block;
    c.vocab_size = 65;
    c.dropout = 0.0;
    return c;
}

std::vector<TrainCase> train_cases() {
    models::GptConfig gpt2 = models::GptConfig::preset("gpt2", 50257, 1024);
    gpt2.dropout = 0.0;
    return {{"baby", char_config(4, 4, 128, 64), 12},
            {"small", char_config(6, 6, 384, 256), 8},
            {"gpt2", gpt2, 4}};
}

// With PESO_BENCH_MEMORY set, where the memory is at each phase of a step.
void memory_report(const char* phase) {
    if (!std::getenv("PESO_BENCH_MEMORY")) return;
    const AllocatorStats s = host_allocator().stats();
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    fmt::print("  [{:<12}] live {:7.1f} MB in {:5} blocks, cached {:7.1f} MB, peak RSS {:7.1f} MB\n", phase,
               static_cast<double>(s.live_bytes) / 1e6, s.live_blocks, static_cast<double>(s.cached_bytes) / 1e6,
               static_cast<double>(u.ru_maxrss) / 1024.0);
}

double peak_rss_gb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_maxrss) / (1024.0 * 1024.0);  // ru_maxrss is in KiB on Linux
}

struct TrainOptions {
    int steps = 10;
    int warmup = 2;  // warm-up steps fill the allocator's cache
    std::int64_t seq = 0;  // 0: the case's default
    bool checkpoint_activations = false;
    bool bf16 = false;  // mixed precision (peso::autocast)
};

void bench_train(const TrainCase& tc, const TrainOptions& to) {
    const std::int64_t T = to.seq > 0 ? to.seq : (tc.name == "gpt2" ? 64 : tc.config.block_size);
    manual_seed(1337);
    models::GptConfig config = tc.config;
    config.checkpoint_activations = to.checkpoint_activations;
    models::Gpt model(config);
    memory_report("model");
    nn::optim::AdamWOptions o;
    o.lr = 6e-4;
    o.beta2 = 0.99;
    nn::optim::AdamW opt(model.optimizer_groups(0.1), o);
    const Tensor idx = randint(0, tc.config.vocab_size, {tc.batch, T});
    const Tensor targets = randint(0, tc.config.vocab_size, {tc.batch, T});
    std::vector<double> times;
    float loss = 0;
    std::optional<autocast> mixed_precision;
    if (to.bf16) mixed_precision.emplace(DType::bf16);
    for (int s = 0; s < to.steps + to.warmup; ++s) {
        const double t0 = bench::now_seconds();
        opt.zero_grad();
        const auto out = model.forward(idx, targets);
        if (s < 2) memory_report("forward");
        out.loss.backward();
        if (s < 2) memory_report("backward");
        nn::clip_grad_norm_(model.parameters(), 1.0);
        opt.step();
        if (s < 2) memory_report("step");
        loss = out.loss.item<float>();
        if (s >= to.warmup) times.push_back(bench::now_seconds() - t0);
    }
    const double med = bench::median(times);
    fmt::print("{:<6} {:>2}L {:>2}H {:>4}d  B={:<2} T={:<4}{} {:>9.1f} ms/step {:>9.0f} tok/s   (min {:.1f}, max {:.1f}; "
               "loss {:.3f}; peak RSS {:.2f} GB)\n",
               tc.name, tc.config.n_layer, tc.config.n_head, tc.config.n_embd, tc.batch, T,
               std::string(to.checkpoint_activations ? " ckpt" : "") + (to.bf16 ? " bf16" : ""), med * 1e3,
               static_cast<double>(tc.batch * T) / med, *std::min_element(times.begin(), times.end()) * 1e3,
               *std::max_element(times.begin(), times.end()) * 1e3, loss, peak_rss_gb());
}

void bench_generate(int runs) {
    models::GptConfig c = models::GptConfig::preset("gpt2", 50257, 1024);
    c.dropout = 0.0;
    manual_seed(1337);
    models::Gpt model(c);
    std::vector<std::int64_t> prompt;
    for (int i = 0; i < 16; ++i) prompt.push_back(1000 + 37 * i);
    models::SamplingOptions so;
    so.max_new_tokens = 200;
    so.top_k = 50;
    std::vector<double> rates;
    for (int r = 0; r < runs; ++r) {
        so.seed = 1337 + static_cast<std::uint64_t>(r);
        const double t0 = bench::now_seconds();
        const auto out = models::generate(model, prompt, so);
        const double dt = bench::now_seconds() - t0;
        rates.push_back(static_cast<double>(out.size() - prompt.size()) / dt);
    }
    fmt::print("gpt2 124M generate: 16-token prompt + 200 new tokens, batch 1, KV cache: {:.1f} tokens/s "
               "(median of {}; "
               "peak RSS {:.2f} GB)\n",
               bench::median(rates), runs, peak_rss_gb());
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> what;
    TrainOptions to;
    for (int i = 1; i < argc; ++i) {
        const bool has_value = i + 1 < argc;
        if (std::strcmp(argv[i], "--steps") == 0 && has_value) to.steps = std::max(1, std::atoi(argv[++i]));
        else if (std::strcmp(argv[i], "--warmup") == 0 && has_value) to.warmup = std::max(0, std::atoi(argv[++i]));
        else if (std::strcmp(argv[i], "--seq") == 0 && has_value) to.seq = std::max(1, std::atoi(argv[++i]));
        else if (std::strcmp(argv[i], "--checkpoint-activations") == 0) to.checkpoint_activations = true;
        else if (std::strcmp(argv[i], "--bf16") == 0) to.bf16 = true;
        else what.emplace_back(argv[i]);
    }
    if (what.empty()) what = {"train", "generate"};
    fmt::print("peso_gpt_bench: {} OpenMP threads\n", omp_get_max_threads());
    for (const auto& w : what) {
        bool known = false;
        for (const auto& tc : train_cases())
            if (w == "train" || w == tc.name) {
                bench_train(tc, to);
                known = true;
            }
        if (w == "generate") {
            bench_generate(3);
            known = true;
        }
        if (!known) {
            fmt::print(stderr, "peso_gpt_bench: unknown benchmark '{}' (train, generate, baby, small, gpt2)\n", w);
            return 2;
        }
    }
}
