// `peso gpt train`: train a GPT on a text file, from scratch (--n-layer ...),
// from another checkpoint's weights (--init-from), or where a run stopped (--resume).
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "autograd/autocast.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/gpt_files.h"
#include "cli/loss_plot.h"
#include "cli/out_dir_guard.h"
#include "cli/progress.h"
#include "cli/train_settings.h"
#include "core/checked_size.h"
#include "distributed/init.h"
#include "models/gpt/weights_file.h"
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

std::atomic<bool> g_interrupted{false};
extern "C" void on_sigint(int) { g_interrupted = true; }

// The flags that give the model's shape, which --init-from takes from its checkpoint.
constexpr const char* kShapeFlags[] = {"--preset", "--n-layer", "--n-head", "--n-embd", "--tokenizer", "--bias"};

// Checks between flags, in the flags' words, before any file is read (each flag's own range is
// checked while parsing).
void check_flags(const TrainArgs& a) {
    PESO_CHECK(!a.data.empty(), ValueError, "--data is required: the training text (UTF-8)");
    if (a.init_from.empty()) {
        PESO_CHECK(!a.preset.empty() || a.n_embd % a.n_head == 0, ValueError, "--n-head {} must divide --n-embd {}",
                   a.n_head, a.n_embd);
    } else {
        for (const char* f : kShapeFlags)
            PESO_CHECK(!a.was_given(f), ValueError,
                       "{} cannot be used with --init-from: the model (and its tokenizer) come from {}", f,
                       a.init_from);
    }
    PESO_CHECK(a.warmup_steps() < a.steps, ValueError,
               "--warmup {} must be less than --steps {} (the warm-up is part of the run)", a.warmup_steps(), a.steps);
    PESO_CHECK(a.final_lr() <= a.lr, ValueError, "--min-lr {} must not exceed --lr {}", a.final_lr(), a.lr);
    PESO_CHECK(!a.zero || a.optimizer == "adamw", ValueError,
               "--zero shards AdamW's state; it needs --optimizer adamw");
    PESO_CHECK(a.threads <= 4096, ValueError, "--threads must be at most 4096, got {}", a.threads);
    // Tokens per optimizer step: the batches are allocated from this product.
    checked_product({a.batch, a.grad_accum, a.block_size, std::int64_t{sizeof(std::int64_t)}},
                    "--batch x --grad-accum x --block-size (bytes of a batch)");
}

// Creates --out, with an error in the user's terms rather than std::filesystem's.
void make_out_dir(const fs::path& out) {
    std::error_code ec;
    PESO_CHECK(!fs::exists(out) || fs::is_directory(out), IOError, "--out {} exists and is not a directory",
               out.string());
    fs::create_directories(out, ec);
    PESO_CHECK(!ec, IOError, "--out {}: cannot create the directory ({})", out.string(), ec.message());
}

std::unique_ptr<nn::Tokenizer> make_tokenizer(const TrainArgs& a, const std::string& text) {
    if (a.tokenizer == "char") return std::make_unique<nn::CharTokenizer>(nn::CharTokenizer::from_text(text));
    return std::make_unique<nn::Gpt2Tokenizer>(nn::Gpt2Tokenizer::load());
}

// Where tokenized data files are cached: --cache-dir, else $XDG_CACHE_HOME/peso, else ~/.cache/peso
// (the XDG convention: a cache is not a result, so it stays out of --out); "" when none is known.
fs::path token_cache_dir(const TrainArgs& a) {
    if (!a.cache_dir.empty()) return a.cache_dir;
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x != nullptr && *x != '\0') return fs::path(x) / "peso";
    if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') return fs::path(h) / ".cache" / "peso";
    return {};
}

// An explicit --cache-dir must be usable; the default one is only skipped when it is not.
void check_cache_dir(const TrainArgs& a) {
    if (a.cache_dir.empty()) return;
    std::error_code ec;
    PESO_CHECK(!fs::exists(a.cache_dir, ec) || fs::is_directory(a.cache_dir, ec), IOError,
               "--cache-dir {} exists and is not a directory", a.cache_dir);
    fs::create_directories(a.cache_dir, ec);
    PESO_CHECK(!ec, IOError, "--cache-dir {}: cannot create the directory ({})", a.cache_dir, ec.message());
}

// The cache file of one data file under one tokenizer: named by a hash of the data's absolute path and
// the tokenizer, so that data files do not evict each other; the key inside checks size and mtime.
fs::path token_cache_file(const fs::path& dir, const fs::path& data, const nn::Tokenizer& tok) {
    std::uint64_t h = 14695981039346656037ull;  // FNV-1a
    for (const char c : fs::absolute(data).lexically_normal().string() + '\n' + tok.to_json())
        h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    return dir / fmt::format("tokens-{}-{:016x}.bin", tok.type(), h);
}

// The token ids of the data, from the cache when it is current; otherwise
// encoded, and cached when `write_cache` (rank 0 only).
std::vector<std::int32_t> tokenize(const nn::Tokenizer& tok, const std::string& text, const TrainArgs& a,
                                   bool write_cache, Progress& progress) {
    const auto src = fs::path(a.data);
    const std::string key = fmt::format("{}|{}|{}", tok.to_json(), fs::file_size(src),
                                        fs::last_write_time(src).time_since_epoch().count());
    const fs::path dir = token_cache_dir(a);
    const fs::path cache = dir.empty() ? fs::path() : token_cache_file(dir, src, tok);
    if (!cache.empty())
        if (auto ids = nn::data::load_token_cache(cache.string(), key)) return *ids;
    const std::vector<int> ids = tok.encode(text);
    std::vector<std::int32_t> out_ids(ids.begin(), ids.end());
    if (write_cache && !cache.empty()) {
        try {
            std::error_code ec;
            fs::create_directories(dir, ec);
            nn::data::save_token_cache(cache.string(), key, out_ids);
        } catch (const IOError& e) {
            progress.note(fmt::format("note: the tokens are not cached: {}", e.what()));
        }
    }
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

// --init-from: the checkpoint's configuration with, as nanoGPT's crop_block_size,
// a smaller block if --block-size asks for one, and this run's dropout.
models::GptConfig init_config(const TrainArgs& a, const models::GptConfig& from) {
    models::GptConfig c = from;
    if (a.was_given("--block-size")) {
        PESO_CHECK(a.block_size <= from.block_size, ValueError,
                   "--block-size {} is larger than the --init-from model's block size {} (it can only shrink)",
                   a.block_size, from.block_size);
        c.block_size = a.block_size;
    }
    c.dropout = a.dropout;
    c.validate();
    return c;
}

// The weights of `from` with the position embeddings cropped to `block_size` rows.
nn::NamedTensors cropped_state(const models::Gpt& from, std::int64_t block_size) {
    nn::NamedTensors state = from.state_dict();
    for (auto& [name, t] : state)
        if (name == "transformer.wpe.weight" && t.size(0) > block_size) t = t.narrow(0, 0, block_size).contiguous();
    return state;
}

// What train_state.safetensors keeps besides the optimizer's tensors: where the
// batch stream is, and the run's settings (for --resume).
std::string train_state_json(std::uint64_t batch_position, const TrainArgs& a) {
    nlohmann::ordered_json j;
    j["batch_position"] = batch_position;
    j["settings"] = nlohmann::ordered_json::parse(run_settings_json(a));
    return j.dump();
}

struct SavedRun {
    std::uint64_t batch_position = 0;
    std::string settings;  // empty for checkpoints written before the settings were kept
};

SavedRun parse_train_state_json(const std::string& extra) {
    const auto j = nlohmann::json::parse(extra, nullptr, false);
    SavedRun r;
    if (j.is_object()) {
        r.batch_position = j.value("batch_position", std::uint64_t{0});
        if (j.contains("settings")) r.settings = j.at("settings").dump();
    } else {
        r.batch_position = std::stoull(extra);  // older checkpoints: the position alone
    }
    return r;
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

// The end of the cosine decay under --max-time: the steps that still fit in the time left at the pace measured
// since this process began training (at least the next step, at most --steps).
std::int64_t cosine_horizon(std::int64_t step, std::int64_t first, double elapsed, const TrainArgs& a) {
    const double per_step = elapsed / static_cast<double>(step - first);
    const double fit = std::floor(std::max(0.0, a.max_time - elapsed) / per_step);
    const auto more = static_cast<std::int64_t>(std::min(fit, static_cast<double>(a.steps)));
    return std::min(a.steps, step + std::max<std::int64_t>(1, more));
}

std::unique_ptr<nn::optim::Optimizer> make_optimizer(const TrainArgs& a, const models::Gpt& model) {
    if (a.optimizer == "adamw") {
        nn::optim::AdamWOptions o;
        o.lr = a.lr;
        o.beta1 = a.beta1;
        o.beta2 = a.beta2;
        return std::make_unique<nn::optim::AdamW>(model.optimizer_groups(a.weight_decay), o);
    }
    nn::optim::SGDOptions o;
    o.lr = a.lr;
    o.momentum = 0.9;
    return std::make_unique<nn::optim::SGD>(model.optimizer_groups(a.weight_decay), o);
}

// The files of the checkpoint that --resume continues (wherever its last save left them).
struct RunFiles {
    fs::path config, tokenizer, model, state;
};

RunFiles resume_files(const fs::path& out) {
    const nn::FileSetReader files = checkpoint_files(out);
    const auto state = files.find("train_state.safetensors");
    PESO_CHECK(state.has_value(), IOError, "--resume: no {} to resume from",
               (out / "train_state.safetensors").string());
    const char* what = "peso training checkpoint";
    return {files.require("config.json", what), files.require("tokenizer.json", what),
            files.require("model.safetensors", what), *state};
}

// Restores a run: the weights from model.safetensors, the rest from train_state.safetensors, which must
// come from the same save (both record its step). An older train_state that holds the weights too is
// complete in itself: its own weights are the ones its optimizer state belongs to.
std::int64_t restore_run(const RunFiles& f, models::Gpt& model, nn::optim::Optimizer& opt,
                         nn::optim::LRScheduler& sched) {
    const nn::CheckpointInfo info = nn::read_checkpoint_info(f.state.string());
    if (info.has_model) return nn::load_checkpoint(f.state.string(), model, &opt, &sched).step;
    const nn::Metadata meta = models::load_gpt_weights(model, f.model.string());
    const auto it = meta.find("peso.step");
    PESO_CHECK(it != meta.end() && it->second == std::to_string(info.step), IOError,
               "{} (step {}) and {} (step {}) are not from the same save", f.model.string(),
               it == meta.end() ? std::string("unknown") : it->second, f.state.string(), info.step);
    return nn::load_checkpoint(f.state.string(), nullptr, &opt, &sched).step;
}

// The model to train and its tokenizer: a new one, one started from --init-from's
// weights, or (resuming) the run's own, whose weights restore_run fills in next.
struct Start {
    std::unique_ptr<models::Gpt> model;
    std::unique_ptr<nn::Tokenizer> tokenizer;
};

Start make_start(const TrainArgs& a, const std::string& text, const RunFiles* resuming) {
    Start s;
    if (resuming) {
        s.tokenizer = read_tokenizer_file(resuming->tokenizer);
        s.model = std::make_unique<models::Gpt>(read_config_file(resuming->config), nullptr, /*init=*/false);
    } else if (!a.init_from.empty()) {
        LoadedGpt from = load_gpt_dir(a.init_from);
        const auto config = init_config(a, from.model->config());
        s.model = std::make_unique<models::Gpt>(config, nullptr, /*init=*/false);
        s.model->load_state_dict(cropped_state(*from.model, config.block_size));
        s.tokenizer = std::move(from.tokenizer);
    } else {
        s.tokenizer = make_tokenizer(a, text);
        s.model = std::make_unique<models::Gpt>(make_config(a, s.tokenizer->vocab_size()));
    }
    s.model->set_checkpoint_activations(a.checkpoint_activations);
    return s;
}

// loss.png from the logs so far (the step log flushed first).
void plot_losses(const fs::path& out, const LossPlotOptions& o, std::ofstream& step_log) {
    step_log.flush();
    plot_losses(out, o);
}

int run_train(TrainArgs a) {
    if (a.threads > 0) omp_set_num_threads(static_cast<int>(a.threads));
    const fs::path out(a.out);
    // --resume continues the run with its own settings: read them before anything else.
    SavedRun saved;
    std::optional<RunFiles> resumed;
    if (a.resume) {
        resumed = resume_files(out);
        saved = parse_train_state_json(nn::read_checkpoint_info(resumed->state.string()).extra_json);
        if (!saved.settings.empty()) restore_run_settings(a, saved.settings);
    }
    check_flags(a);
    check_cache_dir(a);
    // Under mpirun: one rank per process. Only rank 0 prints, and writes files.
    const auto comm = distributed::init_process_group(a.dist_timeout);
    const int world = comm->world_size();
    const bool lead = comm->rank() == 0;
    PESO_CHECK(a.batch % world == 0, ValueError, "--batch {} must be a multiple of the number of ranks ({})", a.batch,
               world);
    // Under mpirun, plain "cuda" means one GPU per rank: the rank's index on its machine.
    const Device device =
        world > 1 && a.device == "cuda" ? Device::cuda(distributed::local_rank()) : Device::parse(a.device);
    Progress progress(lead, a.quiet, a.log_interval(), Progress::stderr_is_terminal());
    if (a.resume) {
        const std::int64_t done = nn::read_checkpoint_info(resumed->state.string()).step;
        if (done >= a.steps) {
            progress.result(fmt::format("nothing to do: the run in {} has finished ({} of {} steps); raise --steps "
                                            "to train it further",
                                            out.string(), done, a.steps));
            return 0;
        }
    }
    const std::string text = [&] {
        try {
            return read_text_file(a.data);
        } catch (const IOError& e) {
            throw IOError(fmt::format("--data: {}", e.what()));
        }
    }();
    // Everything that can be checked is checked before --out is touched; until the first checkpoint, a
    // failure removes what this run created there (rank 0 writes it).
    check_train_out_dir(out, {.resume = a.resume, .init_from = !a.init_from.empty(), .force = a.force});
    std::optional<OutDirGuard> out_guard;
    if (lead) out_guard.emplace(out);
    make_out_dir(out);
    manual_seed(a.seed);
    Start start = make_start(a, text, resumed ? &*resumed : nullptr);
    models::Gpt& model = *start.model;
    const nn::Tokenizer& tok = *start.tokenizer;
    const models::GptConfig& config = model.config();
    // Every rank tokenizes at once (no rank waits for another's, which could outlast --dist-timeout).
    const auto ids = tokenize(tok, text, a, lead, progress);
    auto [train_ids, val_ids] = nn::data::split_tokens(ids, 0.9);
    checked_product({a.batch, a.grad_accum, config.block_size, std::int64_t{sizeof(std::int64_t)}},
                    "--batch x --grad-accum x the model's block_size (bytes of a batch)");
    PESO_CHECK(static_cast<std::int64_t>(val_ids.size()) > config.block_size, ValueError,
               "--data {}: {} tokens are too few for block size {} (the validation split needs more than a block)",
               a.data, ids.size(), config.block_size);
    // Initialized on the CPU (the same weights for a seed on any device), then moved.
    if (!device.is_cpu()) model.to(device);
    // --dtype bf16: the whole run (training and evaluation) under autocast; weights stay float32.
    PESO_CHECK(a.dtype == "f32" || device.is_cpu(), ValueError, "--dtype {}: mixed precision runs on the cpu only",
               a.dtype);
    std::optional<autocast> mixed_precision;
    if (a.dtype == "bf16") mixed_precision.emplace(DType::bf16);
    std::unique_ptr<nn::optim::Optimizer> opt = make_optimizer(a, model);
    nn::optim::WarmupCosineLR sched(*opt, a.warmup_steps(), a.steps, a.final_lr());
    const auto order = a.batch_order == "random" ? nn::data::BatchOrder::random : nn::data::BatchOrder::sequential;
    // Every rank draws the same global batch (grad_accum micro-batches of --batch rows) and takes its slices.
    nn::data::TokenBatches batches(train_ids, a.batch * a.grad_accum, config.block_size, order, a.seed);
    std::int64_t step = 0;
    if (a.resume) {
        // Every rank reads the full state (saved whole, whatever the number of ranks that wrote it).
        step = restore_run(*resumed, model, *opt, sched);
        PESO_CHECK(a.stop_at == 0 || a.stop_at > step, ValueError,
                   "--stop-at {} is not after step {}, where the run resumes", a.stop_at, step);
        batches.set_position(saved.batch_position);
        progress.note(fmt::format("resuming from step {}", step));
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
    if (world > 1)
        progress.note(fmt::format("data parallel: {} ranks ({}), {} rows each per micro-batch, {} buckets{}", world,
                                  tensor_comm->backend_name(), a.batch / world, ddp->num_buckets(),
                                  zero ? ", ZeRO-1 optimizer sharding" : ""));
    progress.note(fmt::format("GPT: {} layers, {} heads, {} dims, block {}, vocab {}: {:.2f}M parameters{}; "
                              "{} train / {} val tokens",
                              config.n_layer, config.n_head, config.n_embd, config.block_size, config.vocab_size,
                              static_cast<double>(model.num_parameters()) / 1e6,
                              a.init_from.empty() ? "" : ", from " + a.init_from, train_ids.size(), val_ids.size()));

    std::ofstream step_log;
    if (lead) step_log.open(out / "train_log.csv", std::ios::app);
    // Collective under --zero: rank 0 gathers the full optimizer state, writes, and drops it again.
    auto save_all = [&](std::int64_t at) {
        if (zero) zero->consolidate(0);
        if (lead) {
            // One set (config, tokenizer, weights, train_state) committed at once: see gpt_files.h. The weights
            // are stored once, in model.safetensors; train_state holds what is not in it.
            save_gpt_dir(out, model.config(), model.state_dict(), tok.to_json(), at, [&](const fs::path& p) {
                nn::save_checkpoint(p.string(), nullptr, opt.get(), &sched, at,
                                    train_state_json(batches.position(), a));
            });
        }
        if (zero) zero->shard();
    };
    nn::data::TokenBatches train_eval(train_ids, a.batch, config.block_size, nn::data::BatchOrder::random, 4242);
    nn::data::TokenBatches val_eval(val_ids, a.batch, config.block_size, nn::data::BatchOrder::random, 4242);
    auto evaluate = [&](std::int64_t at) {
        const float tl = estimate_loss(model, train_eval, a.eval_batches, device, *comm);
        const float vl = estimate_loss(model, val_eval, a.eval_batches, device, *comm);
        progress.result(fmt::format("step {}: train loss {:.4f}, val loss {:.4f}", at, tl, vl));
        if (lead) std::ofstream(out / "metrics.csv", std::ios::app) << at << ',' << tl << ',' << vl << '\n';
        return vl;
    };
    auto eval_and_save = [&](std::int64_t at) {
        evaluate(at);
        save_all(at);
        if (lead) plot_losses(out, {a.plot_log_scale, at}, step_log);
    };

    if (out_guard) out_guard->keep();  // set up: from here on --out holds this run's results
    std::signal(SIGINT, on_sigint);
    // Under mpirun, Ctrl-C reaches the ranks as SIGTERM (and `kill -USR1` on mpirun as SIGUSR1): the same stop.
    distributed::set_stop_flag(&g_interrupted);
    const auto t0 = std::chrono::steady_clock::now();
    const std::int64_t first = step;
    double tokens_per_s = 0;
    bool stop = false;
    std::string stopped_why;  // empty: ran to --steps
    model.train();
    while (step < a.steps) {
        if (stop) {
            save_all(step);
            if (lead) plot_losses(out, {a.plot_log_scale, step}, step_log);
            // A rank that exits non-zero makes mpirun end the others: none leaves before rank 0 has written.
            comm->barrier();
            progress.result(fmt::format("interrupted at step {}: checkpoint written to {} (continue with --resume)",
                                            step, out.string()));
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
        if (a.grad_clip > 0) nn::clip_grad_norm_tensor_(model.parameters(), a.grad_clip);  // no host read on a GPU
        const double lr = opt->lr(0);
        if (zero) zero->step();
        else opt->step();
        sched.step();
        ++step;
        // Rank 0's clock decides, for all.
        Tensor elapsed_t = native::full({1}, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                                        DType::f64);
        if (world > 1 && a.max_time > 0) distributed::broadcast(*comm, elapsed_t, 0);
        const double elapsed = elapsed_t.data_ptr<double>()[0];
        tokens_per_s = static_cast<double>((step - first) * a.batch * a.grad_accum * config.block_size) / elapsed;
        // The run ends at --steps or at --max-time, whichever comes first.
        double eta = elapsed / static_cast<double>(step - first) * static_cast<double>(a.steps - step);
        if (a.max_time > 0) {
            eta = std::min(eta, std::max(0.0, a.max_time - elapsed));
            // The cosine ends where the time budget does: from the end of warm-up on, its horizon is the steps
            // that still fit at the pace measured so far (evaluations and saves included).
            if (step >= a.warmup_steps()) sched.set_max_steps(cosine_horizon(step, first, elapsed, a));
        }
        if (lead) step_log << step << ',' << fmt::format("{:.9g}", loss) << ',' << fmt::format("{:.9g}", lr) << '\n';
        progress.step({step, a.steps, loss, lr, tokens_per_s, eta});
        if (a.max_time > 0 && elapsed >= a.max_time)
            stopped_why = fmt::format("--max-time {} s reached", a.max_time);
        else if (step == a.stop_at)
            stopped_why = fmt::format("--stop-at {} reached", a.stop_at);
        const bool last = step == a.steps || !stopped_why.empty();
        if (last || (a.eval_every > 0 && step % a.eval_every == 0)) eval_and_save(step);
        if (!stopped_why.empty()) break;
    }
    if (stopped_why.empty())
        progress.result(
            fmt::format("done: {} steps, {:.0f} tokens/s; checkpoint in {}", step, tokens_per_s, out.string()));
    else
        progress.result(fmt::format("stopped at step {} of {}: {}; {:.0f} tokens/s; checkpoint in {} (continue with "
                                    "--resume)",
                                    step, a.steps, stopped_why, tokens_per_s, out.string()));
    return 0;
}

}  // namespace

Runner add_gpt_train(CLI::App& gpt) {
    auto a = std::make_shared<TrainArgs>();
    CLI::App* cmd = gpt.add_subcommand("train", "train a GPT on a text file");
    cmd->add_option("--data", a->data, "training text (UTF-8); the last 10% of its tokens are held out for validation");
    cmd->add_option("--init-from", a->init_from,
                    "start from this checkpoint's weights and tokenizer (from peso gpt train or import) instead of "
                    "random ones: fine-tuning");
    cmd->add_option("--tokenizer", a->tokenizer, "char (the text's characters) or gpt2 (GPT-2's BPE)")
        ->capture_default_str()
        ->check(CLI::IsMember({"char", "gpt2"}));
    cmd->add_option("--preset", a->preset,
                    "gpt-nano, gpt-micro, gpt-mini, gpt2, gpt2-medium (sets --n-layer, --n-head, --n-embd)")
        ->check(CLI::IsMember(models::GptConfig::preset_names()));
    cmd->add_option("--n-layer", a->n_layer, "transformer blocks")->capture_default_str()->check(at_least(1));
    cmd->add_option("--n-head", a->n_head, "attention heads per block; must divide --n-embd")
        ->capture_default_str()
        ->check(at_least(1));
    cmd->add_option("--n-embd", a->n_embd, "embedding width")->capture_default_str()->check(at_least(1));
    cmd->add_option("--block-size", a->block_size,
                    "context length in tokens (with --init-from: default the model's, may only shrink)")
        ->capture_default_str()
        ->check(at_least(1));
    cmd->add_option("--batch", a->batch, "sequences per micro-batch")->capture_default_str()->check(at_least(1));
    cmd->add_option("--steps", a->steps, "optimizer steps (the end of the cosine decay, unless --max-time comes first)")
        ->capture_default_str()
        ->check(at_least(1));
    cmd->add_option("--lr", a->lr, "peak learning rate")->capture_default_str()->check(above(0));
    cmd->add_option("--min-lr", a->min_lr, "learning rate at the end of the cosine decay")
        ->default_str("lr/10")
        ->check(at_least(0));
    cmd->add_option("--warmup", a->warmup, "linear warm-up steps, less than --steps")
        ->default_str("min(100, steps/10)")
        ->check(at_least(0));
    cmd->add_option("--weight-decay", a->weight_decay, "AdamW's decoupled weight decay (matrices and embeddings only)")
        ->capture_default_str()
        ->check(at_least(0));
    cmd->add_option("--beta1", a->beta1, "AdamW's first-moment decay")->capture_default_str()->check(closed_open(0, 1));
    cmd->add_option("--beta2", a->beta2, "AdamW's second-moment decay")
        ->capture_default_str()
        ->check(closed_open(0, 1));
    cmd->add_option("--grad-clip", a->grad_clip, "global gradient norm clip (0: off)")
        ->capture_default_str()
        ->check(at_least(0));
    cmd->add_option("--dropout", a->dropout, "dropout probability while training")
        ->capture_default_str()
        ->check(closed_open(0, 1));
    cmd->add_option("--bias", a->bias, "biases in Linear and LayerNorm layers (GPT-2: true; nanoGPT's default: false)")
        ->default_str("true");
    cmd->add_option("--seed", a->seed, "seed of the initialization and the batch order")->capture_default_str();
    cmd->add_option("--optimizer", a->optimizer, "adamw or sgd (momentum 0.9)")
        ->capture_default_str()
        ->check(CLI::IsMember({"adamw", "sgd"}));
    cmd->add_option("--batch-order", a->batch_order, "random (windows at random offsets) or sequential")
        ->capture_default_str()
        ->check(CLI::IsMember({"random", "sequential"}));
    cmd->add_option("--eval-every", a->eval_every,
                    "steps between train/val evaluations and checkpoints (0: only at the end)")
        ->capture_default_str()
        ->check(at_least(0));
    cmd->add_option("--eval-batches", a->eval_batches, "batches per loss estimate")
        ->capture_default_str()
        ->check(at_least(1));
    cmd->add_option("--log-every", a->log_every, "steps between progress lines")
        ->default_str("steps/100")
        ->check(at_least(1));
    cmd->add_option("--device", a->device, "cpu, cuda or cuda:N")->capture_default_str()->check(device_check());
    cmd->add_option("--threads", a->threads, "CPU threads (0: $OMP_NUM_THREADS, else all cores)")
        ->capture_default_str()
        ->check(at_least(0));
    cmd->add_option("--out", a->out, "checkpoint directory")->capture_default_str();
    cmd->add_option("--cache-dir", a->cache_dir,
                    "where the tokenized --data is cached for the next run (a file per data file and tokenizer)")
        ->default_str("$XDG_CACHE_HOME/peso, else ~/.cache/peso");
    cmd->add_option("--max-time", a->max_time,
                    "stop (evaluating and saving) after this many seconds (0: no limit); the cosine decay then ends "
                    "when the time does, at the pace measured after warm-up")
        ->capture_default_str()
        ->check(at_least(0));
    cmd->add_flag("--plot-log-scale", a->plot_log_scale, "loss.png with a logarithmic loss axis");
    cmd->add_flag("--force", a->force, "replace the checkpoint that --out holds with a new run");
    cmd->add_flag("--resume", a->resume, "continue the run saved in --out, with its settings");
    cmd->add_flag("--quiet", a->quiet, "no progress lines (evaluations and the summary still print)");
    cmd->add_option("--stop-at", a->stop_at,
                    "stop (evaluating and saving) after this step, as --max-time does; --resume continues the run "
                    "(0: off)")
        ->capture_default_str()
        ->check(at_least(0));
    cmd->add_option("--grad-accum", a->grad_accum,
                    "micro-batches of --batch rows per optimizer step (the same as a --batch K times as large)")
        ->capture_default_str()
        ->check(at_least(1));
    cmd->add_flag("--zero", a->zero,
                  "under mpirun: shard AdamW's moments across the ranks (ZeRO stage 1); checkpoints stay whole");
    cmd->add_option("--dist-timeout", a->dist_timeout,
                    "under mpirun: seconds a rank waits for the others before giving up (0: $PESO_DIST_TIMEOUT or 45)")
        ->capture_default_str()
        ->check(at_least(0));
    cmd->add_option("--dtype", a->dtype,
                    "f32, or bf16: mixed precision (matrix products in bfloat16 with float32 accumulation, "
                    "float32 weights, optimizer, softmax, layer_norm and loss)")
        ->check(CLI::IsMember({"f32", "bf16"}))
        ->option_text("{f32,bf16}=f32");  // CLI11's own text would leave one space before the description
    cmd->add_flag("--checkpoint-activations", a->checkpoint_activations,
                  "recompute each block's activations during backward instead of keeping them: less memory, about "
                  "a third more time per step");
    return [a, cmd]() {
        if (!cmd->parsed()) return -1;
        for (const CLI::Option* o : cmd->get_options())
            if (o->count() > 0) a->given.insert(o->get_name());
        return run_train(*a);
    };
}

}  // namespace peso::cli
