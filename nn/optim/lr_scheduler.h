#pragma once
// Learning-rate schedulers with torch.optim.lr_scheduler's semantics: the
// constructor sets each group's lr for step 0 (and records the group's
// "initial_lr" if it has none); each step(), called after optimizer.step(),
// advances last_epoch by one and sets the lrs for it. The recursive
// ("chainable") formulas are PyTorch's own, so that schedulers compose the
// same way and the lr values match PyTorch's to the last bit.
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "nn/optim/optimizer.h"

namespace peso::nn::optim {

class LRScheduler {
public:
    virtual ~LRScheduler() = default;
    LRScheduler(const LRScheduler&) = delete;
    LRScheduler& operator=(const LRScheduler&) = delete;

    virtual std::string type_name() const = 0;

    // Advances one step and sets every group's lr (and momentum, for
    // OneCycleLR with cycle_momentum).
    void step();
    // The lr of each group set by the latest step (or the constructor).
    const std::vector<double>& get_last_lr() const { return last_lr_; }
    const std::vector<double>& base_lrs() const { return base_lrs_; }
    std::int64_t last_epoch() const { return last_epoch_; }

    // "last_epoch", "step_count", "base_lr.{g}", "last_lr.{g}", and the
    // settings a schedule may change while it runs (settings()). Loading sets
    // the scheduler's counters and those settings only: the optimizer's lrs
    // come from its own state, as in PyTorch. A state without a setting (from
    // before it could change) keeps the constructor's.
    std::map<std::string, double> state_dict() const;
    void load_state_dict(const std::map<std::string, double>& state);

protected:
    explicit LRScheduler(Optimizer& optimizer);
    // Derived constructors end with this: PyTorch's _initial_step (step 0).
    void initial_step();
    // The lrs for last_epoch_ (PyTorch's get_lr()); may set other options.
    virtual std::vector<double> compute_lrs() = 0;
    // Sets every group's lr from compute_lrs() for the current last_epoch_.
    void apply_lrs();
    // Settings that change during a run and so belong in the state_dict.
    virtual std::map<std::string, double> settings() const { return {}; }
    // Checks all of them first and throws before changing anything.
    virtual void load_settings(const std::map<std::string, double>& /*values*/) {}

    Optimizer& optimizer_;
    std::vector<double> base_lrs_;
    std::int64_t last_epoch_ = -1;
    std::int64_t step_count_ = 0;

private:
    std::vector<double> last_lr_;
};

// lr = base_lr * factor until total_iters steps, then base_lr
// (torch.optim.lr_scheduler.ConstantLR; factor 1 is a constant lr).
class ConstantLR : public LRScheduler {
public:
    explicit ConstantLR(Optimizer& optimizer, double factor = 1.0 / 3.0, std::int64_t total_iters = 5);
    std::string type_name() const override { return "ConstantLR"; }

protected:
    std::vector<double> compute_lrs() override;

private:
    double factor_;
    std::int64_t total_iters_;
};

// lr *= gamma every step_size steps.
class StepLR : public LRScheduler {
public:
    StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma = 0.1);
    std::string type_name() const override { return "StepLR"; }

protected:
    std::vector<double> compute_lrs() override;

private:
    std::int64_t step_size_;
    double gamma_;
};

// The lr factor moves linearly from start_factor to end_factor over
// total_iters steps, then stays.
class LinearLR : public LRScheduler {
public:
    explicit LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3.0, double end_factor = 1.0,
                      std::int64_t total_iters = 5);
    std::string type_name() const override { return "LinearLR"; }

protected:
    std::vector<double> compute_lrs() override;

private:
    double start_factor_, end_factor_;
    std::int64_t total_iters_;
};

// lr = base_lr * fn(step).
class LambdaLR : public LRScheduler {
public:
    LambdaLR(Optimizer& optimizer, std::function<double(std::int64_t)> fn);
    std::string type_name() const override { return "LambdaLR"; }

protected:
    std::vector<double> compute_lrs() override;

private:
    std::function<double(std::int64_t)> fn_;
};

// nanoGPT's get_lr(it) (train.py, "cosine with warmup"), with learning_rate
// the group's base lr and it = last_epoch:
//   it < warmup_steps:  learning_rate * (it + 1) / (warmup_steps + 1)
//   it > max_steps:     min_lr
//   otherwise:          min_lr + 0.5 * (1 + cos(pi * r)) * (learning_rate - min_lr),
//                       r = (it - warmup_steps) / (max_steps - warmup_steps)
// nanoGPT sets lr = get_lr(iter_num) before the step of iteration iter_num;
// here the constructor sets get_lr(0) and each step() the next one, which is
// the same sequence. min_lr is absolute (the same for every group).
//
// set_max_steps moves the end of the decay while the schedule runs: a run
// with a time budget ends its cosine when the budget runs out (peso gpt train
// --max-time), with the horizon estimated from the steps measured so far.
class WarmupCosineLR : public LRScheduler {
public:
    WarmupCosineLR(Optimizer& optimizer, std::int64_t warmup_steps, std::int64_t max_steps, double min_lr);
    std::string type_name() const override { return "WarmupCosineLR"; }
    // The formula above, for one base lr.
    static double lr_at(std::int64_t it, double learning_rate, std::int64_t warmup_steps, std::int64_t max_steps,
                        double min_lr);
    std::int64_t max_steps() const { return max_steps_; }
    // A new end of the decay (> warmup_steps); the current lr is recomputed with it.
    void set_max_steps(std::int64_t max_steps);

protected:
    std::vector<double> compute_lrs() override;
    std::map<std::string, double> settings() const override;
    void load_settings(const std::map<std::string, double>& values) override;

private:
    std::int64_t warmup_steps_, max_steps_;
    double min_lr_;
};

// torch.optim.lr_scheduler.OneCycleLR: lr rises from max_lr / div_factor to
// max_lr over the first pct_start of total_steps, then anneals to
// initial_lr / final_div_factor (three_phase: back to initial_lr first, then
// to the minimum). With cycle_momentum the group's "momentum" (SGD) or
// "beta1" (Adam) moves inversely between max_momentum and base_momentum.
// Stepping past total_steps throws, as PyTorch does.
struct OneCycleOptions {
    double pct_start = 0.3;
    bool anneal_cos = true;  // false: linear
    bool cycle_momentum = true;
    double base_momentum = 0.85;
    double max_momentum = 0.95;
    double div_factor = 25.0;
    double final_div_factor = 1e4;
    bool three_phase = false;
};

class OneCycleLR : public LRScheduler {
public:
    OneCycleLR(Optimizer& optimizer, double max_lr, std::int64_t total_steps, OneCycleOptions options = {});
    // One max_lr per group.
    OneCycleLR(Optimizer& optimizer, std::vector<double> max_lrs, std::int64_t total_steps,
               OneCycleOptions options = {});
    std::string type_name() const override { return "OneCycleLR"; }

protected:
    std::vector<double> compute_lrs() override;

private:
    struct Phase {
        double end_step;
        int start_lr, end_lr, start_momentum, end_momentum;  // indices into the per-group values below
    };
    double anneal(double start, double end, double pct) const;

    std::int64_t total_steps_;
    OneCycleOptions o_;
    std::vector<Phase> phases_;
    // Per group: [initial_lr, max_lr, min_lr] and [max_momentum, base_momentum].
    std::vector<std::array<double, 3>> lrs_;
    std::vector<std::array<double, 2>> momenta_;
    std::string momentum_key_;  // "momentum", "beta1", or empty (no cycling)
};

}  // namespace peso::nn::optim
