#pragma once
// SGD with momentum, dampening, Nesterov momentum and L2 weight decay: the
// algorithm of torch.optim.SGD (single-tensor form), step for step.
#include "nn/optim/optimizer.h"

namespace peso::nn::optim {

struct SGDOptions {
    double lr = 1e-3;
    double momentum = 0.0;
    double dampening = 0.0;
    double weight_decay = 0.0;
    bool nesterov = false;
    bool maximize = false;
    Options to_options() const;
};

// For each parameter p with gradient g (d = -g when maximize):
//   d = g + weight_decay * p                       (when weight_decay != 0)
//   buf = d                                        (first step: a copy of d)
//   buf = momentum * buf + (1 - dampening) * d     (later steps)
//   d = nesterov ? d + momentum * buf : buf        (when momentum != 0)
//   p = p - lr * d
// State per parameter: tensor "momentum_buffer" (only when momentum != 0).
class SGD : public Optimizer {
public:
    explicit SGD(std::vector<Tensor> params, SGDOptions defaults = {});
    explicit SGD(std::vector<ParamGroup> groups, SGDOptions defaults = {});
    std::string type_name() const override { return "SGD"; }

protected:
    void step_group(const ParamGroup& group, std::size_t first) override;
    void validate(const Options& options) const override;
    void check_state(const ParamState& s, std::size_t index, const Options& group) const override;
};

}  // namespace peso::nn::optim
