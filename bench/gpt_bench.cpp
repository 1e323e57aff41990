// peso_gpt_bench: the GPT targets of bench/README.md.
//   train     ms per training step (forward, backward, grad clip, AdamW) of
//             the baby GPT, a 6-layer 384-d char model and GPT-2 124M, with
//             the peak resident memory of the process;
//   generate  tokens/s of GPT-2 124M sampling 200 tokens after a 16-token
//             prompt with the KV cache (batch 1), and the fraction of the
//             memory-bandwidth ceiling (weight bytes x tokens/s over STREAM's
//             triad measured in the same run) it reaches; --bf16: bf16 weights;
//   mfu       the three training workloads' model FLOPs per step, step time
//             and model FLOPs utilisation against the sgemm peak measured in
//             the same run, beside the same workloads in PyTorch
//             (../shared/anchors/torch_gpt.py under /usr/bin/python3, when it
//             has torch): one table (bench/README.md states the FLOP count).
// Weights are random (speed does not depend on them); batches are random ids.
// Run: peso_gpt_bench [train|generate|mfu|baby|small|gpt2] [--steps N] [--warmup N] [--seq T]
//                      [--checkpoint-activations] [--rounds N] [--torch-script PATH]
//                      [--batch B] [--composite-attention] [--bf16] [--device cpu|cuda[:N]]
//   --seq T and --batch B override the sequence length (GPT-2's default here
//   is 64) and the batch size;
//   --composite-attention runs attention as matmul + mask + softmax + matmul
//   (the (B, H, T, T) weights in memory) instead of the fused op;
//   --checkpoint-activations recomputes each block during backward;
//   --rounds N (mfu) alternates peso and PyTorch N times per workload;
//   --bf16 trains under peso::autocast (bf16 matrix products, fp32 weights);
//   --device runs train and generate on that device (each step ends with the
//   loss read, which waits for the device, so step times are whole).
#include <fcntl.h>
#include <fmt/format.h>
#include <omp.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "autograd/autocast.h"
#include "backends/host_allocator.h"
#include "bench/sgemm_peak.h"
#include "bench/timing.h"
#include "bench/triad_bandwidth.h"
#include "models/gpt/generation.h"
#include "models/gpt/gpt.h"
#include "nn/clip_grad.h"
#include "nn/optim/adam.h"
#include "nn/scaled_dot_product_attention.h"
#include "peso.h"

using namespace peso;

namespace {

struct TrainCase {
    std::string name;
    models::GptConfig config;
    std::int64_t batch;
    std::string torch_config;  // torch_gpt.py's --config for the same workload
    std::int64_t torch_vocab;  // its vocabulary (GPT-2's padded to 50304, as nanoGPT)
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
    return {{"baby", char_config(4, 4, 128, 64), 12, "b", 65},
            {"small", char_config(6, 6, 384, 256), 8, "c", 65},
            {"gpt2", gpt2, 4, "a", 50304}};
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
    std::int64_t batch = 0;  // 0: the case's default
    bool checkpoint_activations = false;
    bool bf16 = false;  // mixed precision (peso::autocast)
    Device device = Device::cpu();
};

struct TrainResult {
    double seconds;          // median step time
    std::int64_t params;     // parameters in matmuls: all but the position embedding
    std::int64_t seq, batch;
};

TrainResult bench_train(const TrainCase& tc, const TrainOptions& to) {
    const std::int64_t T = to.seq > 0 ? to.seq : (tc.name == "gpt2" ? 64 : tc.config.block_size);
    const std::int64_t batch = to.batch > 0 ? to.batch : tc.batch;
    manual_seed(1337);
    models::GptConfig config = tc.config;
    config.checkpoint_activations = to.checkpoint_activations;
    models::Gpt model(config);
    model.to(to.device);
    memory_report("model");
    nn::optim::AdamWOptions o;
    o.lr = 6e-4;
    o.beta2 = 0.99;
    nn::optim::AdamW opt(model.optimizer_groups(0.1), o);
    const Tensor idx = randint(0, tc.config.vocab_size, {batch, T}).to(to.device);
    const Tensor targets = randint(0, tc.config.vocab_size, {batch, T}).to(to.device);
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
    std::int64_t params = 0;
    for (const auto& [name, p] : model.named_parameters())
        if (name != "transformer.wpe.weight") params += p.numel();
    fmt::print("{:<6} {:>2}L {:>2}H {:>4}d  B={:<2} T={:<4}{}{} {:>9.1f} ms/step {:>9.0f} tok/s   (min {:.1f}, max {:.1f}; "
               "loss {:.3f}; peak RSS {:.2f} GB)\n",
               tc.name, tc.config.n_layer, tc.config.n_head, tc.config.n_embd, batch, T,
               std::string(to.checkpoint_activations ? " ckpt" : "") + (to.bf16 ? " bf16" : ""),
               to.device.is_cpu() ? std::string() : " " + to.device.str(), med * 1e3,
               static_cast<double>(batch * T) / med, *std::min_element(times.begin(), times.end()) * 1e3,
               *std::max_element(times.begin(), times.end()) * 1e3, loss, peak_rss_gb());
    return {med, params, T, batch};
}

// Model FLOPs of one training step (PaLM's and nanoGPT's count): 6 per
// parameter used in a matmul per token (2 forward, 4 backward), plus the
// attention's q k^T and p v, 12 * layers * T * n_embd per token (forward and
// backward, the whole T x T square, as those papers count it).
double model_flops(std::int64_t params, const models::GptConfig& c, std::int64_t batch, std::int64_t T) {
    const double tokens = static_cast<double>(batch * T);
    return tokens * (6.0 * static_cast<double>(params) +
                     12.0 * static_cast<double>(c.n_layer) * static_cast<double>(T) * static_cast<double>(c.n_embd));
}

// A program's standard output (its stderr discarded), started without a
// shell; nullopt when it could not start or exited with a failure.
std::optional<std::string> output_of(const std::vector<std::string>& argv) {
    int fds[2];
    if (pipe(fds) != 0) return std::nullopt;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addclose(&actions, fds[1]);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    std::string out;
    char buf[4096];
    for (ssize_t n; rc == 0 && (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    close(fds[0]);
    if (rc != 0) return std::nullopt;
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
    return out;
}

constexpr const char* kPython = "/usr/bin/python3";

// Why PyTorch cannot be run here, or "" when it can.
std::string torch_unavailable(const std::string& script) {
    if (access(script.c_str(), R_OK) != 0) return fmt::format("no PyTorch anchor script at {}", script);
    if (!output_of({kPython, "-c", "import torch"})) return fmt::format("{} has no torch", kPython);
    return "";
}

// The anchor's median ms per step for one workload, or nullopt.
std::optional<double> torch_step_seconds(const std::string& script, const TrainCase& tc, const TrainOptions& to) {
    const auto out = output_of({kPython, script, "--config", tc.torch_config, "--threads",
                                std::to_string(omp_get_max_threads()), "--iters", std::to_string(to.steps),
                                "--warmup", std::to_string(to.warmup)});
    if (!out) return std::nullopt;
    const auto at = out->find("ms/step median=");
    if (at == std::string::npos) return std::nullopt;
    return std::atof(out->c_str() + at + std::strlen("ms/step median=")) / 1e3;
}

// The side-by-side table: model FLOPs, step time and MFU of every training
// workload, peso and PyTorch alternating `rounds` times (medians).
void bench_mfu(TrainOptions to, int rounds, const std::string& script) {
    to.seq = to.batch = 0;  // the workloads as torch_gpt.py defines them
    const bench::SgemmPeak peak = bench::measure_sgemm_peak();
    fmt::print("sgemm peak ({}^3 float32, {} threads): oneDNN {:.1f}, OpenBLAS {:.1f} GFLOP/s; MFU is over {:.1f}\n",
               peak.n, omp_get_max_threads(), peak.onednn, peak.openblas, peak.best());
    const std::string why_not = torch_unavailable(script);
    if (!why_not.empty()) fmt::print("PyTorch column skipped: {}\n", why_not);
    struct Row {
        std::string name;
        double flops = 0, torch_flops = 0;
        std::vector<double> peso, torch;
    };
    std::vector<Row> rows;
    for (const TrainCase& tc : train_cases()) {
        Row row{tc.name};
        for (int r = 0; r < rounds; ++r) {
            const TrainResult res = bench_train(tc, to);
            row.flops = model_flops(res.params, tc.config, res.batch, res.seq);
            row.torch_flops = model_flops(res.params + (tc.torch_vocab - tc.config.vocab_size) * tc.config.n_embd,
                                          tc.config, res.batch, res.seq);
            row.peso.push_back(res.seconds);
            if (!why_not.empty()) continue;
            if (const auto t = torch_step_seconds(script, tc, to)) row.torch.push_back(*t);
        }
        rows.push_back(row);
    }
    fmt::print("\n| workload | model GFLOP/step | peso ms/step | peso MFU | PyTorch ms/step | PyTorch MFU |\n"
               "|---|---|---|---|---|---|\n");
    for (const Row& row : rows) {
        const double p = bench::median(row.peso);
        std::string torch_cells = "- | -";
        if (!row.torch.empty()) {
            const double t = bench::median(row.torch);
            torch_cells = fmt::format("{:.1f} | {:.2f}", t * 1e3, row.torch_flops / t / 1e9 / peak.best());
        }
        fmt::print("| {} | {:.1f} | {:.1f} | {:.2f} | {} |\n", row.name, row.flops / 1e9, p * 1e3,
                   row.flops / p / 1e9 / peak.best(), torch_cells);
    }
}

// The bytes a batch-1 token reads at least once: every parameter (the tied
// head counted once), in the model's dtype.
double weight_bytes(models::Gpt& model) {
    double bytes = 0;
    for (const auto& [name, p] : model.named_parameters()) bytes += static_cast<double>(p.nbytes());
    return bytes;
}

void bench_generate(int runs, Device device, bool bf16) {
    models::GptConfig c = models::GptConfig::preset("gpt2", 50257, 1024);
    c.dropout = 0.0;
    manual_seed(1337);
    models::Gpt model(c);
    model.to(device);
    if (bf16) model.to(DType::bf16);  // bf16 weights and KV cache, as `peso gpt sample --dtype bf16`
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
    const double rate = bench::median(rates);
    fmt::print("gpt2 124M generate{}: 16-token prompt + 200 new tokens, batch 1, KV cache: {:.1f} tokens/s "
               "(median of {}; peak RSS {:.2f} GB)\n",
               bf16 ? " bf16" : "", rate, runs, peak_rss_gb());
    if (!device.is_cpu()) return;
    const double bytes = weight_bytes(model), triad = bench::measure_triad_bandwidth();
    fmt::print("  weights {:.1f} MB; triad bandwidth {:.1f} GB/s ({} threads): ceiling {:.1f} tokens/s, "
               "reached {:.2f} of it\n",
               bytes / 1e6, triad / 1e9, omp_get_max_threads(), triad / bytes, rate * bytes / triad);
}

}  // namespace

int run_benchmarks(int argc, char** argv) {
    std::vector<std::string> what;
    TrainOptions to;
    int rounds = 1;
    std::string torch_script = PESO_TORCH_GPT_SCRIPT;
    for (int i = 1; i < argc; ++i) {
        const bool has_value = i + 1 < argc;
        if (std::strcmp(argv[i], "--steps") == 0 && has_value) to.steps = std::max(1, std::atoi(argv[++i]));
        else if (std::strcmp(argv[i], "--warmup") == 0 && has_value) to.warmup = std::max(0, std::atoi(argv[++i]));
        else if (std::strcmp(argv[i], "--seq") == 0 && has_value) to.seq = std::max(1, std::atoi(argv[++i]));
        else if (std::strcmp(argv[i], "--checkpoint-activations") == 0) to.checkpoint_activations = true;
        else if (std::strcmp(argv[i], "--bf16") == 0) to.bf16 = true;
        else if (std::strcmp(argv[i], "--batch") == 0 && has_value) to.batch = std::max(1, std::atoi(argv[++i]));
        else if (std::strcmp(argv[i], "--composite-attention") == 0) nn::functional::set_fused_attention_enabled(false);
        else if (std::strcmp(argv[i], "--rounds") == 0 && has_value) rounds = std::max(1, std::atoi(argv[++i]));
        else if (std::strcmp(argv[i], "--torch-script") == 0 && has_value) torch_script = argv[++i];
        else if (std::strcmp(argv[i], "--device") == 0 && has_value) to.device = Device::parse(argv[++i]);
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
        if (w == "mfu") {
            bench_mfu(to, rounds, torch_script);
            known = true;
        }
        if (w == "generate") {
            bench_generate(3, to.device, to.bf16);
            known = true;
        }
        if (!known) {
            fmt::print(stderr, "peso_gpt_bench: unknown benchmark '{}' (train, generate, mfu, baby, small, gpt2)\n", w);
            return 2;
        }
    }
    return 0;
}

int main(int argc, char** argv) {
    try {
        return run_benchmarks(argc, argv);
    } catch (const std::exception& e) {
        fmt::print(stderr, "peso_gpt_bench: {}\n", e.what());
        return 1;
    }
}
