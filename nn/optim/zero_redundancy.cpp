#include "nn/optim/zero_redundancy.h"

#include <algorithm>
#include <numeric>

#include "autograd/grad_mode.h"
#include "tensor/native.h"

namespace peso::nn::optim {

using distributed::WorkPtr;

namespace {

constexpr const char* kMoments[] = {"exp_avg", "exp_avg_sq"};

// Largest parameters first, each to the rank that holds the fewest elements
// so far (the lowest such rank on ties): the same on every rank.
std::vector<int> balanced_owners(const std::vector<Tensor>& params, int world) {
    std::vector<std::size_t> order(params.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return params[a].numel() > params[b].numel(); });
    std::vector<std::int64_t> load(static_cast<std::size_t>(world), 0);
    std::vector<int> owner(params.size(), 0);
    for (std::size_t i : order) {
        const auto least = std::min_element(load.begin(), load.end()) - load.begin();
        owner[i] = static_cast<int>(least);
        load[static_cast<std::size_t>(least)] += params[i].numel();
    }
    return owner;
}

std::string key(std::size_t i, const std::string& name) { return fmt::format("state.{}.{}", i, name); }

}  // namespace

ZeroRedundancyOptimizer::ZeroRedundancyOptimizer(Optimizer& inner, std::shared_ptr<distributed::Communicator> comm)
    : inner_(inner), comm_(std::move(comm)) {
    PESO_CHECK(comm_ != nullptr, ValueError, "ZeroRedundancyOptimizer: no communicator");
    PESO_CHECK(inner.type_name() == "Adam" || inner.type_name() == "AdamW", ValueError,
               "ZeroRedundancyOptimizer: shards Adam and AdamW, got {}", inner.type_name());
    for (std::size_t g = 0; g < inner.num_groups(); ++g)
        PESO_CHECK(inner.option(g, "amsgrad") == 0.0, ValueError,
                   "ZeroRedundancyOptimizer: amsgrad is not supported (group {})", g);
    owner_ = balanced_owners(params(), comm_->world_size());
    shard();
}

std::vector<Tensor> ZeroRedundancyOptimizer::params() const {
    std::vector<Tensor> out;
    for (const ParamGroup& g : inner_.param_groups()) out.insert(out.end(), g.params.begin(), g.params.end());
    return out;
}

void ZeroRedundancyOptimizer::step() {
    NoGradGuard no_grad;
    const std::vector<Tensor> ps = params();
    const int me = comm_->rank();
    std::vector<Tensor> set_aside(ps.size());
    for (std::size_t i = 0; i < ps.size(); ++i) {
        if (owner_[i] == me) continue;
        set_aside[i] = ps[i].grad();
        ps[i].set_grad(Tensor());
    }
    inner_.step();
    for (std::size_t i = 0; i < ps.size(); ++i)
        if (owner_[i] != me) ps[i].set_grad(set_aside[i]);
    std::vector<WorkPtr> works;
    for (std::size_t i = 0; i < ps.size(); ++i) {
        Tensor p = ps[i];
        works.push_back(comm_->broadcast(p, owner_[i]));
    }
    for (auto& w : works) w->wait();
}

void ZeroRedundancyOptimizer::consolidate(int to) {
    NoGradGuard no_grad;
    const std::vector<Tensor> ps = params();
    const int me = comm_->rank();
    const OptimizerState mine = inner_.state_dict();
    std::map<std::string, Tensor> own_tensors(mine.tensors.begin(), mine.tensors.end());
    OptimizerState full;
    for (const auto& [k, v] : mine.scalars)
        if (k.rfind("state.", 0) != 0) full.scalars[k] = v;  // groups' options: the same everywhere
    for (std::size_t i = 0; i < ps.size(); ++i) {
        const int owner = owner_[i];
        // [has state, step], then the moments when there are any.
        Tensor meta = native::zeros({2}, DType::f64);
        if (me == owner) {
            auto step = mine.scalars.find(key(i, "step"));
            meta.data_ptr<double>()[0] = step != mine.scalars.end() ? 1.0 : 0.0;
            meta.data_ptr<double>()[1] = step != mine.scalars.end() ? step->second : 0.0;
        }
        distributed::via_device(*comm_, meta, [&](Tensor& t) { return comm_->broadcast(t, owner); });
        if (meta.data_ptr<double>()[0] == 0.0) continue;
        for (const char* name : kMoments) {
            Tensor t = me == owner ? own_tensors.at(key(i, name)) : native::zeros(ps[i].sizes(), ps[i].options());
            comm_->broadcast(t, owner)->wait();
            if (me == to) full.tensors.emplace_back(key(i, name), t);
        }
        if (me == to) full.scalars[key(i, "step")] = meta.data_ptr<double>()[1];
    }
    if (me == to) inner_.load_state_dict(full);
}

void ZeroRedundancyOptimizer::shard() {
    const OptimizerState all = inner_.state_dict();
    OptimizerState mine;
    const int me = comm_->rank();
    auto owned = [&](const std::string& k) {
        if (k.rfind("state.", 0) != 0) return true;
        const std::size_t i = std::stoul(k.substr(6, k.find('.', 6) - 6));
        return owner_.at(i) == me;
    };
    for (const auto& [k, v] : all.scalars)
        if (owned(k)) mine.scalars[k] = v;
    for (const auto& [k, t] : all.tensors)
        if (owned(k)) mine.tensors.emplace_back(k, t);
    inner_.load_state_dict(mine);
}

}  // namespace peso::nn::optim
