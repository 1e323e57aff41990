#include "nn/optim/optimizer.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <set>
#include <string_view>

namespace peso::nn::optim {

namespace {

// Options that schedulers keep in a group beside the optimizer's own (as
// torch.optim.lr_scheduler stores group['initial_lr']).
bool is_scheduler_option(const std::string& key) { return key == "initial_lr"; }

// Splits "state.12.exp_avg" into (12, "exp_avg") for the given prefix.
std::optional<std::pair<std::size_t, std::string>> parse_indexed(std::string_view key, std::string_view prefix) {
    if (!key.starts_with(prefix)) return std::nullopt;
    key.remove_prefix(prefix.size());
    const std::size_t dot = key.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == key.size()) return std::nullopt;
    std::size_t index = 0;
    const auto [end, ec] = std::from_chars(key.data(), key.data() + dot, index);
    if (ec != std::errc() || end != key.data() + dot) return std::nullopt;
    return std::make_pair(index, std::string(key.substr(dot + 1)));
}

double require_scalar(const std::map<std::string, double>& scalars, const std::string& key, const std::string& who) {
    auto it = scalars.find(key);
    PESO_CHECK(it != scalars.end(), ValueError, "{}.load_state_dict: the state has no '{}'", who, key);
    return it->second;
}

}  // namespace

void Optimizer::add_param_groups(std::vector<ParamGroup> groups) {
    std::size_t count = 0;
    for (const ParamGroup& group : groups) count += group.params.size();
    PESO_CHECK(count > 0, ValueError, "{}: got an empty parameter list", type_name());
    for (ParamGroup& group : groups) add_param_group(std::move(group));
}

Options Optimizer::merged(const Options& overrides, std::size_t group_index) const {
    Options out = defaults_;
    for (const auto& [key, value] : overrides) {
        PESO_CHECK(defaults_.count(key) == 1 || is_scheduler_option(key), ValueError,
                   "{}: unknown option '{}' in parameter group {}", type_name(), key, group_index);
        out[key] = value;
    }
    return out;
}

void Optimizer::add_param_group(ParamGroup group) {
    const std::size_t g = groups_.size();
    group.options = merged(group.options, g);
    validate(group.options);
    std::set<const TensorImpl*> seen;
    for (const ParamGroup& other : groups_)
        for (const Tensor& p : other.params) seen.insert(p.impl_ptr().get());
    for (std::size_t k = 0; k < group.params.size(); ++k) {
        const Tensor& p = group.params[k];
        PESO_CHECK(p.defined(), ValueError, "{}: parameter {} of group {} is undefined", type_name(), k, g);
        PESO_CHECK(p.is_floating_point(), DTypeError, "{}: parameter {} of group {} has dtype {}; only floating "
                   "tensors can be optimized", type_name(), k, g, p.dtype());
        PESO_CHECK(p.is_leaf(), ValueError, "{}: parameter {} of group {} (shape {}) is not a leaf tensor; "
                   "optimize the leaf it was computed from", type_name(), k, g, p.sizes());
        PESO_CHECK(seen.insert(p.impl_ptr().get()).second, ValueError,
                   "{}: parameter {} of group {} (shape {}) appears more than once in the parameter groups",
                   type_name(), k, g, p.sizes());
    }
    state_.resize(state_.size() + group.params.size());
    groups_.push_back(std::move(group));
}

void Optimizer::step() {
    NoGradGuard no_grad;
    std::size_t first = 0;
    for (const ParamGroup& group : groups_) {
        step_group(group, first);
        first += group.params.size();
    }
}

Tensor Optimizer::step(const std::function<Tensor()>& closure) {
    Tensor loss;
    {
        EnableGradGuard grad_on;
        loss = closure();
    }
    step();
    return loss;
}

void Optimizer::zero_grad(bool set_to_none) {
    NoGradGuard no_grad;
    for (const ParamGroup& group : groups_) {
        for (const Tensor& p : group.params) {
            Tensor grad = p.grad();
            if (!grad.defined()) continue;
            if (set_to_none) p.set_grad(Tensor());
            else grad.zero_();
        }
    }
}

double Optimizer::option(std::size_t group, const std::string& key) const {
    PESO_CHECK(group < groups_.size(), IndexError, "{}: group {} out of range ({} groups)", type_name(), group,
               groups_.size());
    const Options& o = groups_[group].options;
    auto it = o.find(key);
    PESO_CHECK(it != o.end(), ValueError, "{}: group {} has no option '{}'", type_name(), group, key);
    return it->second;
}

void Optimizer::set_option(std::size_t group, const std::string& key, double value, bool check) {
    PESO_CHECK(group < groups_.size(), IndexError, "{}: group {} out of range ({} groups)", type_name(), group,
               groups_.size());
    PESO_CHECK(defaults_.count(key) == 1 || is_scheduler_option(key), ValueError,
               "{}: unknown option '{}'", type_name(), key);
    if (check) {
        Options next = groups_[group].options;
        next[key] = value;
        validate(next);
    }
    groups_[group].options[key] = value;
}

void Optimizer::set_lr(double lr) {
    for (std::size_t g = 0; g < groups_.size(); ++g) set_lr(g, lr);
}

NamedTensors Optimizer::state_tensors() const {
    NamedTensors out;
    for (std::size_t i = 0; i < state_.size(); ++i)
        for (const auto& [name, t] : state_[i].tensors) out.emplace_back(fmt::format("state.{}.{}", i, name), t);
    return out;
}

std::map<std::string, double> Optimizer::state_scalars() const {
    std::map<std::string, double> out;
    out["num_groups"] = static_cast<double>(groups_.size());
    for (std::size_t g = 0; g < groups_.size(); ++g) {
        out[fmt::format("group.{}.num_params", g)] = static_cast<double>(groups_[g].params.size());
        for (const auto& [key, value] : groups_[g].options) out[fmt::format("group.{}.{}", g, key)] = value;
    }
    for (std::size_t i = 0; i < state_.size(); ++i)
        for (const auto& [name, v] : state_[i].scalars) out[fmt::format("state.{}.{}", i, name)] = v;
    return out;
}

void Optimizer::load_state_dict(const OptimizerState& saved) { load_state(saved, /*adopt=*/false); }

void Optimizer::load_state_dict(OptimizerState&& saved) { load_state(saved, /*adopt=*/true); }

void Optimizer::load_state(const OptimizerState& saved, bool adopt) {
    const std::string who = type_name();
    const double saved_groups = require_scalar(saved.scalars, "num_groups", who);
    PESO_CHECK(saved_groups == static_cast<double>(groups_.size()), ValueError,
               "{}.load_state_dict: the state has {} parameter groups, this optimizer has {}", who, saved_groups,
               groups_.size());
    std::vector<const Tensor*> params;  // flat numbering
    for (std::size_t g = 0; g < groups_.size(); ++g) {
        const double n = require_scalar(saved.scalars, fmt::format("group.{}.num_params", g), who);
        PESO_CHECK(n == static_cast<double>(groups_[g].params.size()), ValueError,
                   "{}.load_state_dict: group {} has {} parameters in the state, {} in this optimizer", who, g, n,
                   groups_[g].params.size());
        for (const Tensor& p : groups_[g].params) params.push_back(&p);
    }

    std::vector<Options> options;
    for (const ParamGroup& group : groups_) options.push_back(group.options);
    std::vector<ParamState> state(params.size());

    for (const auto& [key, value] : saved.scalars) {
        if (key == "num_groups") continue;
        if (auto gk = parse_indexed(key, "group.")) {
            const auto& [g, option] = *gk;
            PESO_CHECK(g < groups_.size(), ValueError, "{}.load_state_dict: '{}' names group {} of {}", who, key, g,
                       groups_.size());
            if (option == "num_params") continue;
            PESO_CHECK(defaults_.count(option) == 1 || is_scheduler_option(option), ValueError,
                       "{}.load_state_dict: unknown option '{}' ('{}')", who, option, key);
            options[g][option] = value;
        } else if (auto ik = parse_indexed(key, "state.")) {
            const auto& [i, name] = *ik;
            PESO_CHECK(i < params.size(), ValueError, "{}.load_state_dict: '{}' names parameter {} of {}", who, key,
                       i, params.size());
            state[i].scalars[name] = value;
        } else {
            throw ValueError(fmt::format("{}.load_state_dict: unexpected scalar '{}'", who, key));
        }
    }
    for (const auto& [key, t] : saved.tensors) {
        auto ik = parse_indexed(key, "state.");
        PESO_CHECK(ik.has_value(), ValueError, "{}.load_state_dict: unexpected tensor '{}'", who, key);
        const auto& [i, name] = *ik;
        PESO_CHECK(i < params.size(), ValueError, "{}.load_state_dict: '{}' names parameter {} of {}", who, key, i,
                   params.size());
        const Tensor& p = *params[i];
        PESO_CHECK(t.defined(), ValueError, "{}.load_state_dict: tensor '{}' is undefined", who, key);
        PESO_CHECK(t.sizes() == p.sizes(), ShapeError,
                   "{}.load_state_dict: '{}' has shape {} in the state, its parameter has shape {}", who, key,
                   t.sizes(), p.sizes());
        PESO_CHECK(t.is_floating_point(), DTypeError, "{}.load_state_dict: '{}' has dtype {}, expected a floating "
                   "dtype", who, key, t.dtype());
        state[i].tensors[name] = t;
    }
    // Option values are not validated: a scheduler may have set any lr
    // (see set_option), and PyTorch loads them as they are.
    for (std::size_t g = 0, first = 0; g < groups_.size(); first += groups_[g].params.size(), ++g) {
        for (std::size_t k = 0; k < groups_[g].params.size(); ++k)
            if (!state[first + k].empty()) check_state(state[first + k], first + k, options[g]);
    }

    // Everything checked: copy the tensors in (never aliasing the source,
    // unless the caller gave them away).
    NoGradGuard no_grad;
    for (std::size_t i = 0; i < state.size(); ++i) {
        for (auto& [name, t] : state[i].tensors) {
            if (adopt && t.dtype() == params[i]->dtype() && t.device() == params[i]->device() && t.is_contiguous() &&
                t.storage_offset() == 0)
                continue;
            Tensor copy = native::empty(params[i]->sizes(), params[i]->options());
            native::copy_(copy, t);
            t = copy;
        }
    }
    for (std::size_t g = 0; g < groups_.size(); ++g) groups_[g].options = std::move(options[g]);
    state_ = std::move(state);
}

}  // namespace peso::nn::optim
