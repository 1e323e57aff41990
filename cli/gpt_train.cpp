// `peso gpt train`: train a GPT on a text file.
#include <omp.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <optional>

#include "cli/commands.h"
#include "cli/gpt_files.h"
#include "nn/clip_grad.h"
#include "nn/data/token_batches.h"
#include "nn/optim/adam.h"
#include "nn/optim/lr_scheduler.h"
#include "nn/optim/sgd.h"
#include "nn/serialization/checkpoint.h"
#include "nn/tokenizers/bpe_tokenizer.h"
#include "nn/tokenizers/char_tokenizer.h"

namespace peso::cli {

namespace {

struct TrainArgs {
    std::string data, tokenizer = "char", preset, out = "out-gpt", optimizer = "adamw", batch_order = "random";
    std::int64_t n_layer = 4, n_head = 4, n_embd = 128, block_size = 64, batch = 12, steps = 2000, warmup = 100;
    std::int64_t eval_every = 250, eval_batches = 20, threads = 0;
    double lr = 1e-3, min_lr = 1e-4, weight_decay = 0.1, beta1 = 0.9, beta2 = 0.99, grad_clip = 1.0, dropout = 0.0;
    bool bias = true;
    std::string device = "cpu";
    double max_time = 0;  // seconds; 0 = no limit
    std::uint64_t seed = 1337;
    bool resume = false, quiet = false, checkpoint_activations = false;
};

std::atomic<bool> g_interrupted{false};
extern "C" void on_sigint(int) { g_interrupted = true; }

std::string fmt_duration(double s) {
    if (s < 0 || !std::isfinite(s)) return "?";
    const auto t = static_cast<long>(s);
    return t >= 3600 ? fmt::format("{}h{:02}m", t / 3600, (t % 3600) / 60) : fmt::format("{}m{:02}s", t / 60, t % 60);
}

std::unique_ptr<nn::Tokenizer> make_tokenizer(const TrainArgs& a, const std::string& text, const fs::path& out) {
    if (a.resume && fs::exists(out / "tokenizer.json")) return nn::tokenizer_from_json(read_text_file(out / "tokenizer.json"));
    if (a.tokenizer == "char") return std::make_unique<nn::CharTokenizer>(nn::CharTokenizer::from_text(text));
    return std::make_unique<nn::Gpt2Tokenizer>(nn::Gpt2Tokenizer::load());
}

std::vector<std::int32_t> tokenize(const nn::Tokenizer& tok, const std::string& text, const TrainArgs& a,
                                   const fs::path& out) {
    const auto src = fs::path(a.data);
    const std::string key = fmt::format("{}|{}|{}", tok.to_json(), fs::file_size(src),
                                        fs::last_write_time(src).time_since_epoch().count());
    const fs::path cache = out / fmt::format("tokens.{}.bin", tok.type());
    if (auto ids = nn::data::load_token_cache(cache.string(), key)) return *ids;
    const std::vector<int> ids = tok.encode(text);
    std::vector<std::int32_t> out_ids(ids.begin(), ids.end());
    nn::data::save_token_cache(cache.string(), key, out_ids);
    return out_ids;
}

models::GptConfig make_config(const TrainArgs& a, std::int64_t vocab) {
    models::GptConfig c;
    if (!a.preset.empty()) {
        c = models::GptConfig::preset(a.preset, vocab, a.block_size);
    } else {
        c.n_layer = a.n_layer;
        c.n_head = a.n_head;
        c.n_embd = a.n_embd;
        c.block_size = a.block_size;
        c.vocab_size = vocab;
    }
    c.dropout = a.dropout;
    c.bias = a.bias;
    c.validate();
    return c;
}

// Mean loss over `n` batches of a fixed-seed stream: rewound each time, so
// every evaluation sees the same batches.
float estimate_loss(models::Gpt& model, nn::data::TokenBatches& batches, std::int64_t n, Device device) {
    NoGradGuard g;
    const bool was = model.is_training();
    model.eval();
    batches.set_position(0);
    double total = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        auto [x, y] = batches.next();
        total += model.forward(x.to(device), y.to(device)).loss.item<float>();
    }
    model.train(was);
    return static_cast<float>(total / static_cast<double>(n));
}

void plot_losses(const fs::path& out) {
    const std::string cmd = fmt::format(
        "gnuplot -e \"set terminal png size 800,500; set output '{}'; set datafile separator ','; set key autotitle "
        "columnhead; set xlabel 'step'; set ylabel 'loss'; set title 'peso gpt train'; plot '{}' using 1:2 with "
        "lines lw 2, '' using 1:3 with lines lw 2\" 2>/dev/null",
        (out / "loss.png").string(), (out / "metrics.csv").string());
    if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "(gnuplot not available: no loss.png)\n");
}

int run_train(const TrainArgs& a) {
    if (a.threads > 0) omp_set_num_threads(static_cast<int>(a.threads));
    PESO_CHECK(a.tokenizer == "char" || a.tokenizer == "gpt2", ValueError, "--tokenizer must be char or gpt2, got '{}'",
               a.tokenizer);
    PESO_CHECK(a.optimizer == "adamw" || a.optimizer == "sgd", ValueError, "--optimizer must be adamw or sgd, got '{}'",
               a.optimizer);
    PESO_CHECK(a.batch_order == "random" || a.batch_order == "sequential", ValueError,
               "--batch-order must be random or sequential, got '{}'", a.batch_order);
    PESO_CHECK(a.steps > 0 && a.batch > 0 && a.eval_batches > 0, ValueError, "--steps, --batch and --eval-batches must be positive");
    const fs::path out(a.out);
    const std::string text = read_text_file(a.data);
    fs::create_directories(out);
    const auto tok = make_tokenizer(a, text, out);
    const auto ids = tokenize(*tok, text, a, out);
    auto [train_ids, val_ids] = nn::data::split_tokens(ids, 0.9);

    const fs::path state_path = out / "train_state.safetensors";
    const bool resuming = a.resume && fs::exists(state_path);
    PESO_CHECK(!a.resume || resuming, IOError, "--resume: no {} to resume from", state_path.string());
    models::GptConfig config = resuming ? models::GptConfig::from_json(read_text_file(out / "config.json"))
                                        : make_config(a, tok->vocab_size());
    config.checkpoint_activations = a.checkpoint_activations;
    PESO_CHECK(static_cast<std::int64_t>(val_ids.size()) > config.block_size, ValueError,
               "{}: {} tokens are too few for block size {} (the validation split needs more than a block)", a.data,
               ids.size(), config.block_size);
    const Device device = Device::parse(a.device);
    manual_seed(a.seed);
    models::Gpt model(config);
    // Initialized on the CPU (the same weights for a seed on any device), then moved.
    if (!device.is_cpu()) model.to(device);
    std::unique_ptr<nn::optim::Optimizer> opt;
    if (a.optimizer == "adamw") {
        nn::optim::AdamWOptions o;
        o.lr = a.lr;
        o.beta1 = a.beta1;
        o.beta2 = a.beta2;
        opt = std::make_unique<nn::optim::AdamW>(model.optimizer_groups(a.weight_decay), o);
    } else {
        nn::optim::SGDOptions o;
        o.lr = a.lr;
        o.momentum = 0.9;
        opt = std::make_unique<nn::optim::SGD>(model.optimizer_groups(a.weight_decay), o);
    }
    nn::optim::WarmupCosineLR sched(*opt, a.warmup, a.steps, a.min_lr);
    const auto order = a.batch_order == "random" ? nn::data::BatchOrder::random : nn::data::BatchOrder::sequential;
    nn::data::TokenBatches batches(train_ids, a.batch, config.block_size, order, a.seed);
    std::int64_t step = 0;
    if (resuming) {
        const auto info = nn::load_checkpoint(state_path.string(), model, opt.get(), &sched);
        step = info.step;
        batches.set_position(std::stoull(info.extra_json));
        std::fprintf(stderr, "resuming from step %lld\n", static_cast<long long>(step));
    } else {
        write_text_file(out / "metrics.csv", "step,train_loss,val_loss\n");
    }
    std::fprintf(stderr, "GPT: %lld layers, %lld heads, %lld dims, block %lld, vocab %lld: %.2fM parameters; %zu train / %zu val tokens\n",
                 static_cast<long long>(config.n_layer), static_cast<long long>(config.n_head),
                 static_cast<long long>(config.n_embd), static_cast<long long>(config.block_size),
                 static_cast<long long>(config.vocab_size), static_cast<double>(model.num_parameters()) / 1e6,
                 train_ids.size(), val_ids.size());

    auto save_all = [&](std::int64_t at) {
        nn::save_checkpoint(state_path.string(), model, opt.get(), &sched, at, std::to_string(batches.position()));
        save_gpt_dir(out, model, *tok);
    };
    nn::data::TokenBatches train_eval(train_ids, a.batch, config.block_size, nn::data::BatchOrder::random, 4242);
    nn::data::TokenBatches val_eval(val_ids, a.batch, config.block_size, nn::data::BatchOrder::random, 4242);
    auto evaluate = [&](std::int64_t at) {
        const float tl = estimate_loss(model, train_eval, a.eval_batches, device);
        const float vl = estimate_loss(model, val_eval, a.eval_batches, device);
        std::fprintf(stderr, "\rstep %lld: train loss %.4f, val loss %.4f%30s\n", static_cast<long long>(at), tl, vl, "");
        std::ofstream(out / "metrics.csv", std::ios::app) << at << ',' << tl << ',' << vl << '\n';
        return vl;
    };

    std::signal(SIGINT, on_sigint);
    const auto t0 = std::chrono::steady_clock::now();
    const std::int64_t first = step;
    double tokens_per_s = 0;
    model.train();
    while (step < a.steps) {
        if (g_interrupted) {
            save_all(step);
            std::fprintf(stderr, "\ninterrupted at step %lld: checkpoint written to %s (continue with --resume)\n",
                         static_cast<long long>(step), out.string().c_str());
            return 130;
        }
        auto [x, y] = batches.next();
        const auto res = model.forward(x.to(device), y.to(device));
        opt->zero_grad();
        res.loss.backward();
        if (a.grad_clip > 0) nn::clip_grad_norm_(model.parameters(), a.grad_clip);
        const double lr = opt->lr(0);
        opt->step();
        sched.step();
        ++step;
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        tokens_per_s = static_cast<double>((step - first) * a.batch * config.block_size) / elapsed;
        const double eta = elapsed / static_cast<double>(step - first) * static_cast<double>(a.steps - step);
        if (!a.quiet)
            std::fprintf(stderr, "\rstep %lld/%lld  loss %.4f  lr %.2e  %.0f tok/s  ETA %s   ", static_cast<long long>(step),
                         static_cast<long long>(a.steps), res.loss.item<float>(), lr, tokens_per_s,
                         fmt_duration(eta).c_str());
        const bool out_of_time = a.max_time > 0 && elapsed >= a.max_time;
        if (a.eval_every > 0 && (step % a.eval_every == 0 || step == a.steps || out_of_time)) {
            evaluate(step);
            save_all(step);
        }
        if (out_of_time) {
            std::fprintf(stderr, "stopping at step %lld: --max-time %.0f s reached\n", static_cast<long long>(step),
                         a.max_time);
            break;
        }
    }
    if (a.eval_every <= 0) {
        evaluate(step);
        save_all(step);
    }
    plot_losses(out);
    std::fprintf(stderr, "done: %lld steps, %.0f tokens/s; checkpoint in %s\n", static_cast<long long>(step), tokens_per_s,
                 out.string().c_str());
    return 0;
}

}  // namespace

Runner add_gpt_train(CLI::App& gpt) {
    auto a = std::make_shared<TrainArgs>();
    CLI::App* cmd = gpt.add_subcommand("train", "train a GPT on a text file");
    cmd->add_option("--data", a->data, "training text (UTF-8)")->required();
    cmd->add_option("--tokenizer", a->tokenizer, "char or gpt2")->capture_default_str();
    cmd->add_option("--preset", a->preset, "gpt-nano, gpt-micro, gpt-mini, gpt2, gpt2-medium (overrides the sizes)");
    cmd->add_option("--n-layer", a->n_layer)->capture_default_str();
    cmd->add_option("--n-head", a->n_head)->capture_default_str();
    cmd->add_option("--n-embd", a->n_embd)->capture_default_str();
    cmd->add_option("--block-size", a->block_size)->capture_default_str();
    cmd->add_option("--batch", a->batch)->capture_default_str();
    cmd->add_option("--steps", a->steps)->capture_default_str();
    cmd->add_option("--lr", a->lr, "peak learning rate")->capture_default_str();
    cmd->add_option("--min-lr", a->min_lr, "learning rate at the end of the cosine decay")->capture_default_str();
    cmd->add_option("--warmup", a->warmup, "linear warmup steps")->capture_default_str();
    cmd->add_option("--weight-decay", a->weight_decay)->capture_default_str();
    cmd->add_option("--beta1", a->beta1, "AdamW's first-moment decay")->capture_default_str();
    cmd->add_option("--beta2", a->beta2, "AdamW's second-moment decay")->capture_default_str();
    cmd->add_option("--grad-clip", a->grad_clip, "global gradient norm clip (0: off)")->capture_default_str();
    cmd->add_option("--dropout", a->dropout)->capture_default_str();
    cmd->add_option("--bias", a->bias, "biases in Linear and LayerNorm layers (GPT-2: true; nanoGPT's default: false)")
        ->capture_default_str();
    cmd->add_option("--seed", a->seed)->capture_default_str();
    cmd->add_option("--optimizer", a->optimizer, "adamw or sgd")->capture_default_str();
    cmd->add_option("--batch-order", a->batch_order, "random or sequential")->capture_default_str();
    cmd->add_option("--eval-every", a->eval_every, "steps between train/val evaluations and checkpoints")->capture_default_str();
    cmd->add_option("--eval-batches", a->eval_batches)->capture_default_str();
    cmd->add_option("--device", a->device, "cpu, cuda or cuda:N")->capture_default_str();
    cmd->add_option("--threads", a->threads, "threads (0: OMP_NUM_THREADS or all cores)")->capture_default_str();
    cmd->add_option("--out", a->out, "checkpoint directory")->capture_default_str();
    cmd->add_option("--max-time", a->max_time, "stop (evaluating and saving) after this many seconds; 0: no limit")
        ->capture_default_str();
    cmd->add_flag("--resume", a->resume, "continue the run saved in --out");
    cmd->add_flag("--quiet", a->quiet, "no progress line");
    cmd->add_flag("--checkpoint-activations", a->checkpoint_activations,
                  "recompute each block's activations during backward instead of keeping them: less memory, about "
                  "a third more time per step");
    return [a, cmd]() { return cmd->parsed() ? run_train(*a) : -1; };
}

}  // namespace peso::cli
