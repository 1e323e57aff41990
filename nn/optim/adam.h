#pragma once
// Adam (L2 weight decay added to the gradient) and AdamW (decoupled weight
// decay, p *= 1 - lr * weight_decay): torch.optim.Adam / AdamW's algorithms,
// single-tensor form, with their bias corrections and epsilon placement. Each
// parameter's update is one fused pass over memory on CPU (fused_adam.h).
#include "nn/optim/optimizer.h"

namespace peso::nn::optim {

// PyTorch's `betas` tuple is the pair of options "beta1", "beta2".
struct AdamOptions {
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0.0;
    bool amsgrad = false;
    bool maximize = false;
    Options to_options() const;
};

// The same options with AdamW's default weight decay (0.01).
struct AdamWOptions {
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 1e-2;
    bool amsgrad = false;
    bool maximize = false;
    Options to_options() const;
};

// State per parameter: scalar "step" (updates done), tensors "exp_avg",
// "exp_avg_sq", and "max_exp_avg_sq" with amsgrad.
class Adam : public Optimizer {
public:
    explicit Adam(std::vector<Tensor> params, AdamOptions defaults = {});
    explicit Adam(std::vector<ParamGroup> groups, AdamOptions defaults = {});
    std::string type_name() const override { return decoupled_ ? "AdamW" : "Adam"; }

protected:
    Adam(std::vector<ParamGroup> groups, Options defaults, bool decoupled);
    void step_group(const ParamGroup& group, std::size_t first) override;
    void validate(const Options& options) const override;
    void check_state(const ParamState& s, std::size_t index, const Options& group) const override;

private:
    bool decoupled_;
};

class AdamW : public Adam {
public:
    explicit AdamW(std::vector<Tensor> params, AdamWOptions defaults = {});
    explicit AdamW(std::vector<ParamGroup> groups, AdamWOptions defaults = {});
};

}  // namespace peso::nn::optim
