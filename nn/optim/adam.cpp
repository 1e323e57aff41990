#include "nn/optim/adam.h"

#include <cmath>

#include "nn/optim/fused_adam.h"
#include "nn/optim/param_checks.h"

namespace peso::nn::optim {

namespace {

template <typename O> Options adam_options(const O& o) {
    return {{"lr", o.lr},
            {"beta1", o.beta1},
            {"beta2", o.beta2},
            {"eps", o.eps},
            {"weight_decay", o.weight_decay},
            {"amsgrad", o.amsgrad ? 1.0 : 0.0},
            {"maximize", o.maximize ? 1.0 : 0.0}};
}

std::vector<ParamGroup> one_group(std::vector<Tensor> params) { return {{std::move(params), {}}}; }

}  // namespace

Options AdamOptions::to_options() const { return adam_options(*this); }
Options AdamWOptions::to_options() const { return adam_options(*this); }

Adam::Adam(std::vector<Tensor> params, AdamOptions defaults) : Adam(one_group(std::move(params)), defaults) {}
Adam::Adam(std::vector<ParamGroup> groups, AdamOptions defaults)
    : Adam(std::move(groups), defaults.to_options(), false) {}
Adam::Adam(std::vector<ParamGroup> groups, Options defaults, bool decoupled)
    : Optimizer(std::move(defaults)), decoupled_(decoupled) {
    add_param_groups(std::move(groups));
}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions defaults) : AdamW(one_group(std::move(params)), defaults) {}
AdamW::AdamW(std::vector<ParamGroup> groups, AdamWOptions defaults)
    : Adam(std::move(groups), defaults.to_options(), true) {}

void Adam::validate(const Options& o) const {
    const std::string name = type_name();
    PESO_CHECK(o.at("lr") >= 0.0, ValueError, "{}: invalid learning rate {}", name, o.at("lr"));
    PESO_CHECK(o.at("eps") >= 0.0, ValueError, "{}: invalid epsilon {}", name, o.at("eps"));
    PESO_CHECK(o.at("beta1") >= 0.0 && o.at("beta1") < 1.0, ValueError, "{}: invalid beta1 {} (must be in [0, 1))",
               name, o.at("beta1"));
    PESO_CHECK(o.at("beta2") >= 0.0 && o.at("beta2") < 1.0, ValueError, "{}: invalid beta2 {} (must be in [0, 1))",
               name, o.at("beta2"));
    PESO_CHECK(o.at("weight_decay") >= 0.0, ValueError, "{}: invalid weight_decay {}", name, o.at("weight_decay"));
}

void Adam::check_state(const ParamState& s, std::size_t index, const Options&) const {
    const std::string name = type_name();
    for (const auto& [key, v] : s.scalars)
        PESO_CHECK(key == "step", ValueError, "{}.load_state_dict: unexpected scalar 'state.{}.{}'", name, index, key);
    for (const auto& [key, t] : s.tensors)
        PESO_CHECK(key == "exp_avg" || key == "exp_avg_sq" || key == "max_exp_avg_sq", ValueError,
                   "{}.load_state_dict: unexpected tensor 'state.{}.{}'", name, index, key);
    for (const char* key : {"exp_avg", "exp_avg_sq"})
        PESO_CHECK(s.tensors.count(key) == 1, ValueError, "{}.load_state_dict: parameter {} has state but no '{}'",
                   name, index, key);
    auto step = s.scalars.find("step");
    PESO_CHECK(step != s.scalars.end(), ValueError, "{}.load_state_dict: parameter {} has state but no 'step'", name,
               index);
    PESO_CHECK(step->second >= 0.0 && step->second == std::floor(step->second), ValueError,
               "{}.load_state_dict: parameter {} has step {}, expected a non-negative integer", name, index,
               step->second);
}

void Adam::step_group(const ParamGroup& group, std::size_t first) {
    const Options& o = group.options;
    const double lr = o.at("lr"), beta1 = o.at("beta1"), beta2 = o.at("beta2"), eps = o.at("eps");
    const double weight_decay = o.at("weight_decay");
    const bool amsgrad = o.at("amsgrad") != 0.0, maximize = o.at("maximize") != 0.0;
    std::vector<AdamFusedTask> fused;  // run together at the end: one parallel region
    for (std::size_t k = 0; k < group.params.size(); ++k) {
        Tensor p = group.params[k];
        Tensor grad = p.grad();
        if (!grad.defined()) continue;
        check_grad(type_name(), first + k, p, grad);
        ParamState& s = state(first + k);
        if (s.empty()) {
            s.scalars["step"] = 0.0;
            s.tensors["exp_avg"] = native::zeros(p.sizes(), p.options());
            s.tensors["exp_avg_sq"] = native::zeros(p.sizes(), p.options());
        }
        // amsgrad may be switched on after the first steps: its maximum starts at zero then.
        if (amsgrad && !s.tensors.count("max_exp_avg_sq"))
            s.tensors["max_exp_avg_sq"] = native::zeros(p.sizes(), p.options());
        const double step = s.scalars["step"] += 1.0;
        const AdamCoefficients c =
            AdamCoefficients::at_step(step, lr, beta1, beta2, eps, weight_decay, decoupled_, maximize);
        Tensor& m = s.tensors["exp_avg"];
        Tensor& v = s.tensors["exp_avg_sq"];
        if (!amsgrad && !grad.is_contiguous()) grad = native::contiguous(grad);
        if (!amsgrad && adam_update_fusable(p, grad, m, v, Tensor())) {
            fused.push_back({p, grad, m, v, c});
        } else {
            Tensor no_max;
            adam_update(p, grad, m, v, amsgrad ? s.tensors["max_exp_avg_sq"] : no_max, c);
        }
    }
    adam_update_fused_many(fused);
}

}  // namespace peso::nn::optim
