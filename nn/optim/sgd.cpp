#include "nn/optim/sgd.h"

#include "nn/optim/fused_sgd.h"
#include "nn/optim/param_checks.h"

namespace peso::nn::optim {

Options SGDOptions::to_options() const {
    return {{"lr", lr},
            {"momentum", momentum},
            {"dampening", dampening},
            {"weight_decay", weight_decay},
            {"nesterov", nesterov ? 1.0 : 0.0},
            {"maximize", maximize ? 1.0 : 0.0}};
}

SGD::SGD(std::vector<Tensor> params, SGDOptions defaults) : SGD(std::vector<ParamGroup>{{std::move(params), {}}}, defaults) {}

SGD::SGD(std::vector<ParamGroup> groups, SGDOptions defaults) : Optimizer(defaults.to_options()) {
    add_param_groups(std::move(groups));
}

void SGD::validate(const Options& o) const {
    PESO_CHECK(o.at("lr") >= 0.0, ValueError, "SGD: invalid learning rate {}", o.at("lr"));
    PESO_CHECK(o.at("momentum") >= 0.0, ValueError, "SGD: invalid momentum {}", o.at("momentum"));
    PESO_CHECK(o.at("weight_decay") >= 0.0, ValueError, "SGD: invalid weight_decay {}", o.at("weight_decay"));
    PESO_CHECK(o.at("nesterov") == 0.0 || (o.at("momentum") > 0.0 && o.at("dampening") == 0.0), ValueError,
               "SGD: Nesterov momentum requires a momentum and zero dampening (momentum {}, dampening {})",
               o.at("momentum"), o.at("dampening"));
}

void SGD::check_state(const ParamState& s, std::size_t index, const Options&) const {
    PESO_CHECK(s.scalars.empty(), ValueError, "SGD.load_state_dict: unexpected scalar 'state.{}.{}'", index,
               s.scalars.begin()->first);
    for (const auto& [name, t] : s.tensors)
        PESO_CHECK(name == "momentum_buffer", ValueError, "SGD.load_state_dict: unexpected tensor 'state.{}.{}'",
                   index, name);
}

void SGD::step_group(const ParamGroup& group, std::size_t first) {
    const Options& o = group.options;
    const SGDCoefficients c{o.at("lr"),           o.at("momentum"),         o.at("dampening"),
                            o.at("weight_decay"), o.at("nesterov") != 0.0, o.at("maximize") != 0.0};
    std::vector<SGDFusedTask> fused;  // run together at the end: one parallel region
    for (std::size_t k = 0; k < group.params.size(); ++k) {
        Tensor p = group.params[k];
        Tensor grad = p.grad();
        if (!grad.defined()) continue;
        check_grad("SGD", first + k, p, grad);
        auto& tensors = state(first + k).tensors;
        auto it = tensors.find("momentum_buffer");
        Tensor buffer = it == tensors.end() ? Tensor() : it->second;
        if (!grad.is_contiguous()) grad = native::contiguous(grad);
        if (sgd_update_fusable(p, grad, buffer)) {
            const bool new_buffer = c.momentum != 0.0 && !buffer.defined();
            if (new_buffer) buffer = tensors["momentum_buffer"] = native::empty(p.sizes(), p.options());
            fused.push_back({p, grad, buffer, new_buffer, c});
        } else {
            sgd_update(p, grad, buffer, c);
            if (buffer.defined()) tensors["momentum_buffer"] = buffer;
        }
    }
    sgd_update_fused_many(fused);
}

}  // namespace peso::nn::optim
