#pragma once
// `peso gpt train`'s settings, and how a run keeps them: saved in the
// training checkpoint so that `--resume` continues the run as it was started
// (not with today's defaults), and a flag that contradicts them is refused.
#include <cstdint>
#include <set>
#include <string>

namespace peso::cli {

struct TrainArgs {
    std::string data, tokenizer = "char", preset, out = "out-gpt", optimizer = "adamw", batch_order = "random";
    std::string init_from;  // a checkpoint directory whose model and tokenizer start the run
    std::string cache_dir;  // "": $XDG_CACHE_HOME/peso, else ~/.cache/peso
    std::int64_t n_layer = 4, n_head = 4, n_embd = 128, block_size = 64, batch = 12, steps = 2000;
    std::int64_t warmup = -1;     // -1: min(100, steps / 10)
    std::int64_t log_every = 0;   // 0: steps / 100 (at least 1)
    std::int64_t eval_every = 250, eval_batches = 20, threads = 0, grad_accum = 1, stop_at = 0;
    double lr = 1e-3, min_lr = -1;  // -1: lr / 10
    double weight_decay = 0.1, beta1 = 0.9, beta2 = 0.99, grad_clip = 1.0, dropout = 0.0;
    bool bias = true;
    std::string device = "cpu";
    double max_time = 0;      // seconds; 0 = no limit
    double dist_timeout = 0;  // seconds a rank waits for the others; 0 = $PESO_DIST_TIMEOUT or 45
    std::uint64_t seed = 1337;
    bool resume = false, force = false, quiet = false, plot_log_scale = false, checkpoint_activations = false, zero = false;

    std::set<std::string> given;  // the flags given on the command line ("--lr")
    bool was_given(const std::string& flag) const { return given.count(flag) > 0; }
    std::int64_t warmup_steps() const { return warmup >= 0 ? warmup : std::min<std::int64_t>(100, steps / 10); }
    double final_lr() const { return min_lr >= 0 ? min_lr : lr / 10; }
    std::int64_t log_interval() const { return log_every > 0 ? log_every : std::max<std::int64_t>(1, steps / 100); }
};

// The settings that define a run, as JSON {"--lr": 0.001, ...}.
std::string run_settings_json(const TrainArgs& a);
// Fills the flags not given on the command line from a run's saved settings;
// a given flag that would change the run (the model, the data order, the
// optimizer...) is a ValueError naming it. --steps, --eval-every,
// --eval-batches and --log-every may change: they extend or watch the run.
void restore_run_settings(TrainArgs& a, const std::string& json);

}  // namespace peso::cli
