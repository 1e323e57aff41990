// The formulas must round like PyTorch's Python arithmetic, one operation
// at a time: no fused multiply-adds.
#pragma GCC optimize("fp-contract=off")

#include "nn/optim/lr_scheduler.h"

#include <cmath>
#include <numbers>

namespace peso::nn::optim {

// ---- LRScheduler ---------------------------------------------------------------

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(optimizer) {
    // As PyTorch's group.setdefault('initial_lr', group['lr']): a second
    // scheduler on the same optimizer starts from the original lr.
    for (std::size_t g = 0; g < optimizer_.num_groups(); ++g) {
        if (optimizer_.param_groups()[g].options.count("initial_lr") == 0)
            optimizer_.set_option(g, "initial_lr", optimizer_.lr(g));
        base_lrs_.push_back(optimizer_.option(g, "initial_lr"));
    }
}

void LRScheduler::initial_step() {
    step_count_ = 0;
    step();
}

void LRScheduler::step() {
    ++step_count_;
    ++last_epoch_;
    apply_lrs();
}

void LRScheduler::apply_lrs() {
    const std::vector<double> lrs = compute_lrs();
    PESO_CHECK(lrs.size() == optimizer_.num_groups(), ValueError, "{}: computed {} lrs for {} parameter groups",
               type_name(), lrs.size(), optimizer_.num_groups());
    for (std::size_t g = 0; g < lrs.size(); ++g) optimizer_.set_option(g, "lr", lrs[g], false);
    last_lr_ = lrs;
}

std::map<std::string, double> LRScheduler::state_dict() const {
    std::map<std::string, double> out;
    out["last_epoch"] = static_cast<double>(last_epoch_);
    out["step_count"] = static_cast<double>(step_count_);
    for (std::size_t g = 0; g < base_lrs_.size(); ++g) out[fmt::format("base_lr.{}", g)] = base_lrs_[g];
    for (std::size_t g = 0; g < last_lr_.size(); ++g) out[fmt::format("last_lr.{}", g)] = last_lr_[g];
    out.merge(settings());
    return out;
}

void LRScheduler::load_state_dict(const std::map<std::string, double>& state) {
    auto get = [&](const std::string& key) {
        auto it = state.find(key);
        PESO_CHECK(it != state.end(), ValueError, "{}.load_state_dict: the state has no '{}'", type_name(), key);
        return it->second;
    };
    const std::size_t groups = base_lrs_.size();
    const std::map<std::string, double> own = settings();
    std::map<std::string, double> loaded_settings;
    for (const auto& [key, v] : state) {
        if (own.contains(key)) {
            loaded_settings[key] = v;
            continue;
        }
        bool known = key == "last_epoch" || key == "step_count";
        for (const char* prefix : {"base_lr.", "last_lr."}) {
            if (!key.starts_with(prefix)) continue;
            const std::string index = key.substr(std::string(prefix).size());
            known = !index.empty() && index.size() < 10 && index.find_first_not_of("0123456789") == std::string::npos &&
                    std::stoull(index) < groups;
        }
        PESO_CHECK(known, ValueError, "{}.load_state_dict: unexpected entry '{}' (the optimizer has {} groups)",
                   type_name(), key, groups);
    }
    std::vector<double> base(groups), last(groups);
    for (std::size_t g = 0; g < groups; ++g) {
        base[g] = get(fmt::format("base_lr.{}", g));
        last[g] = get(fmt::format("last_lr.{}", g));
    }
    const double epoch = get("last_epoch"), count = get("step_count");
    PESO_CHECK(epoch >= -1 && epoch == std::floor(epoch) && count >= 0 && count == std::floor(count), ValueError,
               "{}.load_state_dict: last_epoch {} and step_count {} must be integers", type_name(), epoch, count);
    load_settings(loaded_settings);  // checks before it changes anything: a failed load changes nothing
    base_lrs_ = std::move(base);
    last_lr_ = std::move(last);
    last_epoch_ = static_cast<std::int64_t>(epoch);
    step_count_ = static_cast<std::int64_t>(count);
}

// ---- ConstantLR ----------------------------------------------------------------

ConstantLR::ConstantLR(Optimizer& optimizer, double factor, std::int64_t total_iters)
    : LRScheduler(optimizer), factor_(factor), total_iters_(total_iters) {
    PESO_CHECK(factor > 0.0 && factor <= 1.0, ValueError, "ConstantLR: factor must be in (0, 1], got {}", factor);
    PESO_CHECK(total_iters >= 0, ValueError, "ConstantLR: total_iters must be non-negative, got {}", total_iters);
    initial_step();
}

std::vector<double> ConstantLR::compute_lrs() {
    std::vector<double> out;
    for (std::size_t g = 0; g < optimizer_.num_groups(); ++g) {
        const double lr = optimizer_.lr(g);
        if (last_epoch_ == 0) out.push_back(lr * factor_);
        else if (last_epoch_ != total_iters_) out.push_back(lr);
        else out.push_back(lr * (1.0 / factor_));
    }
    return out;
}

// ---- StepLR --------------------------------------------------------------------

StepLR::StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
    PESO_CHECK(step_size >= 1, ValueError, "StepLR: step_size must be positive, got {}", step_size);
    initial_step();
}

std::vector<double> StepLR::compute_lrs() {
    std::vector<double> out;
    const bool decay = last_epoch_ != 0 && last_epoch_ % step_size_ == 0;
    for (std::size_t g = 0; g < optimizer_.num_groups(); ++g)
        out.push_back(decay ? optimizer_.lr(g) * gamma_ : optimizer_.lr(g));
    return out;
}

// ---- LinearLR ------------------------------------------------------------------

LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor, std::int64_t total_iters)
    : LRScheduler(optimizer), start_factor_(start_factor), end_factor_(end_factor), total_iters_(total_iters) {
    PESO_CHECK(start_factor > 0.0 && start_factor <= 1.0, ValueError,
               "LinearLR: start_factor must be in (0, 1], got {}", start_factor);
    PESO_CHECK(end_factor >= 0.0 && end_factor <= 1.0, ValueError, "LinearLR: end_factor must be in [0, 1], got {}",
               end_factor);
    PESO_CHECK(total_iters >= 0, ValueError, "LinearLR: total_iters must be non-negative, got {}", total_iters);
    initial_step();
}

std::vector<double> LinearLR::compute_lrs() {
    std::vector<double> out;
    for (std::size_t g = 0; g < optimizer_.num_groups(); ++g) {
        const double lr = optimizer_.lr(g);
        if (last_epoch_ == 0) {
            out.push_back(lr * start_factor_);
        } else if (last_epoch_ > total_iters_) {
            out.push_back(lr);
        } else {
            // PyTorch's recursive form: the ratio of consecutive factors.
            const double delta = end_factor_ - start_factor_;
            out.push_back(lr * (1.0 + delta / (static_cast<double>(total_iters_) * start_factor_ +
                                               static_cast<double>(last_epoch_ - 1) * delta)));
        }
    }
    return out;
}

// ---- LambdaLR ------------------------------------------------------------------

LambdaLR::LambdaLR(Optimizer& optimizer, std::function<double(std::int64_t)> fn)
    : LRScheduler(optimizer), fn_(std::move(fn)) {
    PESO_CHECK(static_cast<bool>(fn_), ValueError, "LambdaLR: the lr function is empty");
    initial_step();
}

std::vector<double> LambdaLR::compute_lrs() {
    std::vector<double> out;
    for (double base : base_lrs_) out.push_back(base * fn_(last_epoch_));
    return out;
}

// ---- WarmupCosineLR -------------------------------------------------------------

WarmupCosineLR::WarmupCosineLR(Optimizer& optimizer, std::int64_t warmup_steps, std::int64_t max_steps,
                               double min_lr)
    : LRScheduler(optimizer), warmup_steps_(warmup_steps), max_steps_(max_steps), min_lr_(min_lr) {
    PESO_CHECK(warmup_steps >= 0 && max_steps > warmup_steps, ValueError,
               "WarmupCosineLR: need 0 <= warmup_steps < max_steps, got warmup_steps {} and max_steps {}",
               warmup_steps, max_steps);
    PESO_CHECK(min_lr >= 0.0, ValueError, "WarmupCosineLR: min_lr must be non-negative, got {}", min_lr);
    initial_step();
}

double WarmupCosineLR::lr_at(std::int64_t it, double learning_rate, std::int64_t warmup_steps,
                             std::int64_t max_steps, double min_lr) {
    if (it < warmup_steps)
        return learning_rate * static_cast<double>(it + 1) / static_cast<double>(warmup_steps + 1);
    if (it > max_steps) return min_lr;
    const double decay_ratio = static_cast<double>(it - warmup_steps) / static_cast<double>(max_steps - warmup_steps);
    const double coeff = 0.5 * (1.0 + std::cos(std::numbers::pi * decay_ratio));
    return min_lr + coeff * (learning_rate - min_lr);
}

std::vector<double> WarmupCosineLR::compute_lrs() {
    std::vector<double> out;
    for (double base : base_lrs_) out.push_back(lr_at(last_epoch_, base, warmup_steps_, max_steps_, min_lr_));
    return out;
}

void WarmupCosineLR::set_max_steps(std::int64_t max_steps) {
    PESO_CHECK(max_steps > warmup_steps_, ValueError,
               "WarmupCosineLR.set_max_steps: max_steps {} must be greater than warmup_steps {}", max_steps,
               warmup_steps_);
    max_steps_ = max_steps;
    apply_lrs();
}

std::map<std::string, double> WarmupCosineLR::settings() const {
    return {{"max_steps", static_cast<double>(max_steps_)}};
}

void WarmupCosineLR::load_settings(const std::map<std::string, double>& values) {
    const auto it = values.find("max_steps");
    if (it == values.end()) return;
    const double v = it->second;
    PESO_CHECK(v == std::floor(v) && v > static_cast<double>(warmup_steps_) && v < 9.0e15, ValueError,
               "WarmupCosineLR.load_state_dict: max_steps {} must be an integer greater than warmup_steps {}", v,
               warmup_steps_);
    max_steps_ = static_cast<std::int64_t>(v);
}

// ---- OneCycleLR ----------------------------------------------------------------

OneCycleLR::OneCycleLR(Optimizer& optimizer, double max_lr, std::int64_t total_steps, OneCycleOptions options)
    : OneCycleLR(optimizer, std::vector<double>(optimizer.num_groups(), max_lr), total_steps, options) {}

OneCycleLR::OneCycleLR(Optimizer& optimizer, std::vector<double> max_lrs, std::int64_t total_steps,
                       OneCycleOptions o)
    : LRScheduler(optimizer), total_steps_(total_steps), o_(o) {
    PESO_CHECK(total_steps > 0, ValueError, "OneCycleLR: total_steps must be positive, got {}", total_steps);
    PESO_CHECK(o.pct_start >= 0.0 && o.pct_start <= 1.0, ValueError, "OneCycleLR: pct_start must be in [0, 1], got {}",
               o.pct_start);
    PESO_CHECK(max_lrs.size() == optimizer.num_groups(), ValueError,
               "OneCycleLR: got {} max_lr values for {} parameter groups", max_lrs.size(), optimizer.num_groups());
    enum { kInitial = 0, kMax = 1, kMin = 2, kMaxMomentum = 0, kBaseMomentum = 1 };
    const double total = static_cast<double>(total_steps);
    if (o.three_phase) {
        phases_ = {{o.pct_start * total - 1.0, kInitial, kMax, kMaxMomentum, kBaseMomentum},
                   {2.0 * o.pct_start * total - 2.0, kMax, kInitial, kBaseMomentum, kMaxMomentum},
                   {total - 1.0, kInitial, kMin, kMaxMomentum, kMaxMomentum}};
    } else {
        phases_ = {{o.pct_start * total - 1.0, kInitial, kMax, kMaxMomentum, kBaseMomentum},
                   {total - 1.0, kMax, kMin, kBaseMomentum, kMaxMomentum}};
    }
    if (o.cycle_momentum) {
        if (optimizer.has_option("momentum")) momentum_key_ = "momentum";
        else if (optimizer.has_option("beta1")) momentum_key_ = "beta1";
        PESO_CHECK(!momentum_key_.empty(), ValueError,
                   "OneCycleLR: cycle_momentum needs an optimizer with a 'momentum' or 'beta1' option; {} has neither",
                   optimizer.type_name());
    }
    base_lrs_.clear();
    for (std::size_t g = 0; g < optimizer.num_groups(); ++g) {
        const double initial = max_lrs[g] / o.div_factor;
        lrs_.push_back({initial, max_lrs[g], initial / o.final_div_factor});
        momenta_.push_back({o.max_momentum, o.base_momentum});
        optimizer_.set_option(g, "initial_lr", initial);
        base_lrs_.push_back(initial);
        if (!momentum_key_.empty()) optimizer_.set_option(g, momentum_key_, o.max_momentum);
    }
    initial_step();
}

double OneCycleLR::anneal(double start, double end, double pct) const {
    if (o_.anneal_cos) return end + (start - end) / 2.0 * (std::cos(std::numbers::pi * pct) + 1.0);
    return (end - start) * pct + start;
}

std::vector<double> OneCycleLR::compute_lrs() {
    PESO_CHECK(last_epoch_ <= total_steps_, ValueError,
               "OneCycleLR: tried to step {} times; the specified number of total steps is {}", last_epoch_ + 1,
               total_steps_);
    const double step = static_cast<double>(last_epoch_);
    std::vector<double> out;
    for (std::size_t g = 0; g < optimizer_.num_groups(); ++g) {
        double start_step = 0.0;
        for (std::size_t i = 0; i < phases_.size(); ++i) {
            const Phase& ph = phases_[i];
            if (step <= ph.end_step || i + 1 == phases_.size()) {
                const double pct = (step - start_step) / (ph.end_step - start_step);
                out.push_back(anneal(lrs_[g][ph.start_lr], lrs_[g][ph.end_lr], pct));
                if (!momentum_key_.empty())
                    optimizer_.set_option(g, momentum_key_,
                                          anneal(momenta_[g][ph.start_momentum], momenta_[g][ph.end_momentum], pct),
                                          false);
                break;
            }
            start_step = ph.end_step;
        }
    }
    return out;
}

}  // namespace peso::nn::optim
