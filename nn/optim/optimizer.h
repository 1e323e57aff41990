#pragma once
// Optimizer: the base of SGD, Adam and AdamW. It holds parameter groups (each
// a list of parameters plus its own hyper-parameters, as torch.optim's
// param_groups), per-parameter state, and turns both into a flat, named,
// serializable form (tensors + scalars) and back.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "nn/module.h"

namespace peso::nn::optim {

// Hyper-parameters by name ("lr", "weight_decay", "momentum", "beta1", ...);
// booleans are stored as 0 or 1. Plain numbers, so that a group is as easy to
// write to JSON as PyTorch's param_group dicts.
using Options = std::map<std::string, double>;

// One parameter group: its parameters and the options that override the
// optimizer's defaults for them, e.g. {decay_params, {{"weight_decay", 0.1}}}.
struct ParamGroup {
    std::vector<Tensor> params;
    Options options;
};

// An optimizer's state in flat form, ready for safetensors (tensors) + JSON
// (scalars). Names, with i the parameter's index counted over all groups in
// order (as torch.optim.Optimizer.state_dict() numbers them) and g the group:
//   tensors:  "state.{i}.{name}"   e.g. state.3.exp_avg, state.0.momentum_buffer
//   scalars:  "state.{i}.{name}"   e.g. state.3.step
//             "group.{g}.{option}" e.g. group.1.lr, group.1.weight_decay
//             "group.{g}.num_params", "num_groups"
struct OptimizerState {
    NamedTensors tensors;
    std::map<std::string, double> scalars;
};

class Optimizer {
public:
    virtual ~Optimizer() = default;
    Optimizer(const Optimizer&) = delete;
    Optimizer& operator=(const Optimizer&) = delete;

    virtual std::string type_name() const = 0;

    // One update of every parameter that has a gradient (under no-grad).
    void step();
    // Re-evaluates the loss with closure() (grad mode on) before the update;
    // returns that loss.
    Tensor step(const std::function<Tensor()>& closure);
    // Sets every parameter's gradient to undefined (set_to_none) or to zero.
    void zero_grad(bool set_to_none = true);

    // Appends a group; its options override the defaults. Throws on unknown
    // options, invalid values, or a parameter already in another group.
    void add_param_group(ParamGroup group);
    const std::vector<ParamGroup>& param_groups() const { return groups_; }
    std::size_t num_groups() const { return groups_.size(); }
    std::int64_t num_params() const { return static_cast<std::int64_t>(state_.size()); }
    const Options& defaults() const { return defaults_; }
    bool has_option(const std::string& key) const { return defaults_.count(key) == 1; }

    // A group's option; throws naming the option if it is unknown.
    double option(std::size_t group, const std::string& key) const;
    // Sets a group's option (schedulers use it for "lr", "momentum", "beta1",
    // "initial_lr"). The value is validated like at construction unless
    // `validate` is false: schedulers write what their formula gives, as
    // PyTorch's do (OneCycleLR's linear annealing goes below zero when
    // stepped to total_steps).
    void set_option(std::size_t group, const std::string& key, double value, bool validate = true);
    double lr(std::size_t group = 0) const { return option(group, "lr"); }
    void set_lr(std::size_t group, double lr) { set_option(group, "lr", lr); }
    void set_lr(double lr);  // every group

    // ---- state (see OptimizerState for the names)
    // The tensors are the optimizer's own (no copy): serialize them before
    // the next step.
    NamedTensors state_tensors() const;
    std::map<std::string, double> state_scalars() const;
    OptimizerState state_dict() const { return {state_tensors(), state_scalars()}; }
    // Replaces the state and the groups' options with saved ones (parameters
    // stay). Checks everything before changing anything: the number of groups
    // and of parameters per group, each tensor's shape against its parameter,
    // unknown names, incomplete per-parameter state (option values are taken
    // as saved, as PyTorch does). Tensors are copied and
    // converted to their parameter's dtype and device.
    void load_state_dict(const OptimizerState& state);
    // The same, adopting the state's tensors that already have their
    // parameter's dtype, device and layout instead of copying them (a
    // checkpoint's freshly read tensors: loading then needs no second copy).
    void load_state_dict(OptimizerState&& state);

protected:
    // Per-parameter state, created by the first update that sees a gradient.
    struct ParamState {
        std::map<std::string, Tensor> tensors;
        std::map<std::string, double> scalars;
        bool empty() const { return tensors.empty() && scalars.empty(); }
    };

    explicit Optimizer(Options defaults) : defaults_(std::move(defaults)) {}
    // For derived constructors (validate() dispatches to them there): adds the
    // groups, refusing a list without any parameter.
    void add_param_groups(std::vector<ParamGroup> groups);

    // Updates the parameters of one group; `first` is the index of its first
    // parameter in the flat numbering (state(first + k) is params[k]'s).
    virtual void step_group(const ParamGroup& group, std::size_t first) = 0;
    // Throws ValueError when an option has an invalid value.
    virtual void validate(const Options& options) const = 0;
    // Throws ValueError when a loaded per-parameter state is not one this
    // optimizer could have written (missing or unknown entries).
    virtual void check_state(const ParamState& s, std::size_t index, const Options& group) const = 0;

    ParamState& state(std::size_t index) { return state_.at(index); }
    const ParamState& state(std::size_t index) const { return state_.at(index); }

private:
    void load_state(const OptimizerState& saved, bool adopt);
    Options merged(const Options& overrides, std::size_t group_index) const;

    Options defaults_;
    std::vector<ParamGroup> groups_;
    std::vector<ParamState> state_;  // one per parameter, flat over groups
};

}  // namespace peso::nn::optim
