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
#include "cli/out_dir_guard.h"
#include "core/checked_size.h"
#include "core/run_program.h"
#include "distributed/init.h"
#include "nn/distributed_data_parallel.h"
#include "nn/clip_grad.h"
#include "nn/data/token_batches.h"
#include "nn/optim/adam.h"
#include "nn/optim/lr_scheduler.h"
#include "nn/optim/sgd.h"
#include "nn/optim/zero_redundancy.h"
#include "nn/serialization/checkpoint.h"
#include "nn/tokenizers/bpe_tokenizer.h"
#include "nn/tokenizers/char_tokenizer.h"

namespace peso::cli {

namespace {

struct TrainArgs {
    std::string data, tokenizer = "char", preset, out = "out-gpt", optimizer = "adamw", batch_order = "random";
    std::int64_t n_layer = 4, n_head = 4, n_embd = 128, block_size = 64, batch = 12, steps = 2000, warmup = 100;
    std::int64_t eval_every = 250, eval_batches = 20, threads = 0, grad_accum = 1, stop_at = 0;
    double lr = 1e-3, min_lr = 1e-4, weight_decay = 0.1, beta1 = 0.9, beta2 = 0.99, grad_clip = 1.0, dropout = 0.0;
    bool bias = true;
    std::string device = "cpu";
    double max_time = 0;  // seconds; 0 = no limit
    double dist_timeout = 0;  // seconds a rank waits for the others; 0 = $PESO_DIST_TIMEOUT or 45
    std::uint64_t seed = 1337;
    bool resume = false, force = false, quiet = false, checkpoint_activations = false, zero = false;
};

std::atomic<bool> g_interrupted{false};
extern "C" void on_sigint(int) { g_interrupted = true; }

std::string fmt_duration(double s) {
    if (s < 0 || !std::isfinite(s)) return "?";
    const auto t = static_cast<long>(s);
    return t >= 3600 ? fmt::format("{}h{:02}m", t / 3600, (t % 3600) / 60) : fmt::format("{}m{:02}s", t / 60, t % 60);
}

std::unique_ptr<nn::Tokenizer> make_tokenizer(const TrainArgs& a, const std::string& text, const fs::path& out) {
    if (a.resume && fs::exists(out / "tokenizer.json")) return read_tokenizer_file(out / "tokenizer.json");
    if (a.tokenizer == "char") return std::make_unique<nn::CharTokenizer>(nn::CharTokenizer::from_text(text));
    return std::make_unique<nn::Gpt2Tokenizer>(nn::Gpt2Tokenizer::load());
}

// The token ids of the data, from the cache in `out` when it is current;
// otherwise encoded, and cached when `write_cache` (rank 0 only).
std::vector<std::int32_t> tokenize(const nn::Tokenizer& tok, const std::string& text, const TrainArgs& a,
                                   const fs::path& out, bool write_cache) {
    const auto src = fs::path(a.data);
    const std::string key = fmt::format("{}|{}|{}", tok.to_json(), fs::file_size(src),
                                        fs::last_write_time(src).time_since_epoch().count());
    const fs::path cache = out / fmt::format("tokens.{}.bin", tok.type());
    if (auto ids = nn::data::load_token_cache(cache.string(), key)) return *ids;
    const std::vector<int> ids = tok.encode(text);
    std::vector<std::int32_t> out_ids(ids.begin(), ids.end());
    if (write_cache) nn::data::save_token_cache(cache.string(), key, out_ids);
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
// every evaluation sees the same batches. Rank r evaluates batches r, r + N, ...
float estimate_loss(models::Gpt& model, nn::data::TokenBatches& batches, std::int64_t n, Device device,
                    distributed::Communicator& comm) {
    NoGradGuard g;
    const bool was = model.is_training();
    model.eval();
    batches.set_position(0);
    Tensor total = native::zeros({1}, DType::f64);
    for (std::int64_t i = 0; i < n; ++i) {
        auto [x, y] = batches.next();
        if (i % comm.world_size() == comm.rank())
            total.data_ptr<double>()[0] += model.forward(x.to(device), y.to(device)).loss.item<float>();
    }
    distributed::allreduce(comm, total);
    model.train(was);
    return static_cast<float>(total.data_ptr<double>()[0] / static_cast<double>(n));
}

// This rank's rows of micro-batch k of a global batch: micro-batch k is rows
// [k B, (k + 1) B), and rank r takes the r-th of its N contiguous slices.
Tensor my_rows(const Tensor& global, std::int64_t micro, std::int64_t k, const distributed::Communicator& comm) {
    const std::int64_t per_rank = micro / comm.world_size();
    return native::narrow(global, 0, k * micro + comm.rank() * per_rank, per_rank);
}

// gnuplot without a shell: its script on standard input, the paths quoted for
// gnuplot alone (a --out with spaces, quotes or "$(...)" is only a name).
void plot_losses(const fs::path& out) {
    const std::string script = fmt::format(
        "set terminal png size 800,500\nset output {}\nset datafile separator ','\nset key autotitle columnhead\n"
        "set xlabel 'step'\nset ylabel 'loss'\nset title 'peso gpt train'\n"
        "plot {} using 1:2 with lines lw 2, '' using 1:3 with lines lw 2\n",
        gnuplot_quote((out / "loss.png").string()), gnuplot_quote((out / "metrics.csv").string()));
    const ProgramResult r = run_program({"gnuplot"}, script);
    if (!r.started) std::fprintf(stderr, "(gnuplot not available: no loss.png)\n");
    else if (r.exit_status != 0) std::fprintf(stderr, "(gnuplot failed: no loss.png)\n");
}

int run_train(const TrainArgs& a) {
    if (a.threads > 0) omp_set_num_threads(static_cast<int>(a.threads));
    // Under mpirun: one rank per process. Only rank 0 prints, and writes files.
    const auto comm = distributed::init_process_group(a.dist_timeout);
    const int world = comm->world_size();
    const bool lead = comm->rank() == 0;
    PESO_CHECK(a.tokenizer == "char" || a.tokenizer == "gpt2", ValueError, "--tokenizer must be char or gpt2, got '{}'",
               a.tokenizer);
    PESO_CHECK(a.optimizer == "adamw" || a.optimizer == "sgd", ValueError, "--optimizer must be adamw or sgd, got '{}'",
               a.optimizer);
    PESO_CHECK(a.batch_order == "random" || a.batch_order == "sequential", ValueError,
               "--batch-order must be random or sequential, got '{}'", a.batch_order);
    PESO_CHECK(a.steps > 0 && a.batch > 0 && a.eval_batches > 0 && a.grad_accum > 0, ValueError,
               "--steps, --batch, --eval-batches and --grad-accum must be positive");
    PESO_CHECK(a.batch % world == 0, ValueError, "--batch {} must be a multiple of the number of ranks ({})", a.batch,
               world);
    PESO_CHECK(!a.zero || a.optimizer == "adamw", ValueError,
               "--zero shards AdamW's state; it needs --optimizer adamw");
    PESO_CHECK(a.threads >= 0 && a.threads <= 4096, ValueError, "--threads must be in [0, 4096], got {}", a.threads);
    PESO_CHECK(a.block_size > 0, ValueError, "--block-size must be positive, got {}", a.block_size);
    // Tokens per optimizer step: the batches are allocated from this product.
    checked_product({a.batch, a.grad_accum, a.block_size, std::int64_t{sizeof(std::int64_t)}},
                    "--batch x --grad-accum x --block-size (bytes of a batch)");
    const fs::path out(a.out);
    const fs::path state_path = out / "train_state.safetensors";
    // Everything that can be checked is checked before --out is touched.
    check_train_out_dir(out, {.resume = a.resume, .force = a.force});
    PESO_CHECK(!a.resume || fs::exists(state_path), IOError, "--resume: no {} to resume from", state_path.string());
    const std::string text = read_text_file(a.data);
    // Until the first checkpoint, a failure removes what this run created in --out (rank 0 writes it).
    std::optional<OutDirGuard> out_guard;
    if (lead) {
        out_guard.emplace(out);
        out_guard->create();
    }
    const auto tok = make_tokenizer(a, text, out);
    // Every rank tokenizes at once (no rank waits for another's, which could outlast --dist-timeout).
    const auto ids = tokenize(*tok, text, a, out, lead);
    auto [train_ids, val_ids] = nn::data::split_tokens(ids, 0.9);

    const bool resuming = a.resume;
    models::GptConfig config = resuming ? read_config_file(out / "config.json")
                                        : make_config(a, tok->vocab_size());
    config.checkpoint_activations = a.checkpoint_activations;
    checked_product({a.batch, a.grad_accum, config.block_size, std::int64_t{sizeof(std::int64_t)}},
                    "--batch x --grad-accum x the checkpoint's block_size (bytes of a batch)");
    PESO_CHECK(static_cast<std::int64_t>(val_ids.size()) > config.block_size, ValueError,
               "{}: {} tokens are too few for block size {} (the validation split needs more than a block)", a.data,
               ids.size(), config.block_size);
    // Under mpirun, plain "cuda" means one GPU per rank: the rank's index on its machine.
    const Device device =
        world > 1 && a.device == "cuda" ? Device::cuda(distributed::local_rank()) : Device::parse(a.device);
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
    // Every rank draws the same global batch (grad_accum micro-batches of --batch rows) and takes its slices.
    nn::data::TokenBatches batches(train_ids, a.batch * a.grad_accum, config.block_size, order, a.seed);
    std::int64_t step = 0;
    if (resuming) {
        // Every rank reads the full state (saved whole, whatever the number of ranks that wrote it).
        const auto info = nn::load_checkpoint(state_path.string(), model, opt.get(), &sched);
        step = info.step;
        batches.set_position(std::stoull(info.extra_json));
        if (lead) std::fprintf(stderr, "resuming from step %lld\n", static_cast<long long>(step));
    } else if (lead) {
        write_text_file(out / "metrics.csv", "step,train_loss,val_loss\n");
        write_text_file(out / "train_log.csv", "step,loss,lr\n");
    }
    // Gradients averaged over the ranks during backward; optimizer state sharded with --zero.
    std::unique_ptr<nn::DistributedDataParallel> ddp;
    // On GPUs the gradients and parameters go through NCCL; small CPU values (losses, flags) through MPI.
    const auto tensor_comm = distributed::communicator_for(comm, device);
    if (world > 1) ddp = std::make_unique<nn::DistributedDataParallel>(model, tensor_comm);
    std::unique_ptr<nn::optim::ZeroRedundancyOptimizer> zero;
    if (a.zero) zero = std::make_unique<nn::optim::ZeroRedundancyOptimizer>(*opt, tensor_comm);
    if (lead && world > 1)
        std::fprintf(stderr, "data parallel: %d ranks (%s), %lld rows each per micro-batch, %lld buckets%s\n", world,
                     tensor_comm->backend_name().c_str(), static_cast<long long>(a.batch / world),
                     static_cast<long long>(ddp->num_buckets()), zero ? ", ZeRO-1 optimizer sharding" : "");
    if (lead)
        std::fprintf(stderr,
                     "GPT: %lld layers, %lld heads, %lld dims, block %lld, vocab %lld: %.2fM parameters; "
                     "%zu train / %zu val tokens\n",
                     static_cast<long long>(config.n_layer), static_cast<long long>(config.n_head),
                     static_cast<long long>(config.n_embd), static_cast<long long>(config.block_size),
                     static_cast<long long>(config.vocab_size), static_cast<double>(model.num_parameters()) / 1e6,
                     train_ids.size(), val_ids.size());

    // Collective under --zero: rank 0 gathers the full optimizer state, writes, and drops it again.
    auto save_all = [&](std::int64_t at) {
        if (zero) zero->consolidate(0);
        if (lead) {
            // Each file is replaced atomically; train_state.safetensors, which --resume reads, comes last, so
            // that once it exists the files it needs (config.json, tokenizer.json) do too.
            save_gpt_dir(out, model, *tok);
            nn::save_checkpoint(state_path.string(), model, opt.get(), &sched, at, std::to_string(batches.position()));
        }
        if (zero) zero->shard();
    };
    nn::data::TokenBatches train_eval(train_ids, a.batch, config.block_size, nn::data::BatchOrder::random, 4242);
    nn::data::TokenBatches val_eval(val_ids, a.batch, config.block_size, nn::data::BatchOrder::random, 4242);
    auto evaluate = [&](std::int64_t at) {
        const float tl = estimate_loss(model, train_eval, a.eval_batches, device, *comm);
        const float vl = estimate_loss(model, val_eval, a.eval_batches, device, *comm);
        if (!lead) return vl;
        std::fprintf(stderr, "\rstep %lld: train loss %.4f, val loss %.4f%30s\n", static_cast<long long>(at), tl, vl, "");
        std::ofstream(out / "metrics.csv", std::ios::app) << at << ',' << tl << ',' << vl << '\n';
        return vl;
    };

    if (out_guard) out_guard->keep();  // set up: from here on --out holds this run's results
    std::signal(SIGINT, on_sigint);
    // Under mpirun, Ctrl-C reaches the ranks as SIGTERM (and `kill -USR1` on mpirun as SIGUSR1): the same stop.
    distributed::set_stop_flag(&g_interrupted);
    const auto t0 = std::chrono::steady_clock::now();
    const std::int64_t first = step;
    double tokens_per_s = 0;
    std::ofstream step_log;
    if (lead) step_log.open(out / "train_log.csv", std::ios::app);
    bool stop = false;
    model.train();
    while (step < a.steps) {
        if (stop) {
            save_all(step);
            // A rank that exits non-zero makes mpirun end the others: none leaves before rank 0 has written.
            comm->barrier();
            if (lead)
                std::fprintf(stderr, "\ninterrupted at step %lld: checkpoint written to %s (continue with --resume)\n",
                             static_cast<long long>(step), out.string().c_str());
            return 130;
        }
        auto [x, y] = batches.next();
        opt->zero_grad();
        // grad_accum micro-batches: each loss scaled by 1/K, gradients summed locally (no_sync) until the last,
        // whose backward averages the sums over the ranks.
        Tensor stats = native::zeros({2}, DType::f64);  // [this rank's mean loss, stop requested]
        for (std::int64_t k = 0; k < a.grad_accum; ++k) {
            const auto res = model.forward(my_rows(x, a.batch, k, *comm).to(device),
                                           my_rows(y, a.batch, k, *comm).to(device));
            const Tensor loss = a.grad_accum > 1 ? res.loss / static_cast<double>(a.grad_accum) : res.loss;
            if (ddp && k + 1 < a.grad_accum) {
                const auto local = ddp->no_sync();
                loss.backward();
            } else {
                loss.backward();
            }
            stats.data_ptr<double>()[0] += res.loss.item<float>() / static_cast<double>(a.grad_accum);
        }
        // The ranks agree on the loss and on stopping (a signal reaches them at different steps).
        stats.data_ptr<double>()[1] = g_interrupted ? 1.0 : 0.0;
        if (world > 1) distributed::allreduce(*comm, stats);
        const double loss = stats.data_ptr<double>()[0] / world;
        stop = stats.data_ptr<double>()[1] > 0;
        if (a.grad_clip > 0) nn::clip_grad_norm_(model.parameters(), a.grad_clip);
        const double lr = opt->lr(0);
        if (zero) zero->step();
        else opt->step();
        sched.step();
        ++step;
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        tokens_per_s = static_cast<double>((step - first) * a.batch * a.grad_accum * config.block_size) / elapsed;
        const double eta = elapsed / static_cast<double>(step - first) * static_cast<double>(a.steps - step);
        if (lead) step_log << step << ',' << fmt::format("{:.9g}", loss) << ',' << fmt::format("{:.9g}", lr) << '\n';
        if (lead && !a.quiet)
            std::fprintf(stderr, "\rstep %lld/%lld  loss %.4f  lr %.2e  %.0f tok/s  ETA %s   ", static_cast<long long>(step),
                         static_cast<long long>(a.steps), loss, lr, tokens_per_s, fmt_duration(eta).c_str());
        // Rank 0's clock decides, for all.
        Tensor elapsed_t = native::full({1}, elapsed, DType::f64);
        if (world > 1 && a.max_time > 0) distributed::broadcast(*comm, elapsed_t, 0);
        const bool out_of_time = a.max_time > 0 && elapsed_t.data_ptr<double>()[0] >= a.max_time;
        const bool stop_here = step == a.stop_at;
        if (a.eval_every > 0 && (step % a.eval_every == 0 || step == a.steps || out_of_time || stop_here)) {
            evaluate(step);
            save_all(step);
        }
        if (out_of_time) {
            if (lead)
                std::fprintf(stderr, "stopping at step %lld: --max-time %.0f s reached\n", static_cast<long long>(step),
                             a.max_time);
            break;
        }
        if (stop_here) {
            if (a.eval_every <= 0) {
                evaluate(step);
                save_all(step);
            }
            if (lead)
                std::fprintf(stderr, "stopping at step %lld (--stop-at); continue with --resume\n",
                             static_cast<long long>(step));
            return 0;
        }
    }
    if (a.eval_every <= 0) {
        evaluate(step);
        save_all(step);
    }
    if (!lead) return 0;
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
    cmd->add_flag("--force", a->force, "replace the checkpoint that --out holds with a new run");
    cmd->add_flag("--quiet", a->quiet, "no progress line");
    cmd->add_option("--stop-at", a->stop_at,
                    "stop (evaluating and saving) after this step, as --max-time does; --resume continues the run")
        ->capture_default_str();
    cmd->add_option("--grad-accum", a->grad_accum,
                    "micro-batches of --batch rows per optimizer step (the same as a --batch K times as large)")
        ->capture_default_str();
    cmd->add_flag("--zero", a->zero,
                  "under mpirun: shard AdamW's moments across the ranks (ZeRO stage 1); checkpoints stay whole");
    cmd->add_option("--dist-timeout", a->dist_timeout,
                    "under mpirun: seconds a rank waits for the others before giving up (0: $PESO_DIST_TIMEOUT or 45)")
        ->capture_default_str();
    cmd->add_flag("--checkpoint-activations", a->checkpoint_activations,
                  "recompute each block's activations during backward instead of keeping them: less memory, about "
                  "a third more time per step");
    return [a, cmd]() { return cmd->parsed() ? run_train(*a) : -1; };
}

}  // namespace peso::cli
