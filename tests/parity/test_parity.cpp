// Parity with PyTorch: peso builds the models of
// tests/fixtures/parity/make_parity.py (an MLP classifier,
// TransformerEncoderLayer post-LN and pre-LN, a 2-layer GPT), loads the same
// initial weights by name, and must reproduce PyTorch 1.13's logits, loss,
// every gradient, and the parameters after 3 steps of SGD, Adam and AdamW
// with a scheduler and gradient clipping. The fixtures are committed; torch
// is never needed here. Tolerances (|got - want| <= atol + rtol * |want|):
//   float32: rtol 1e-4, atol 1e-6   float64: rtol 1e-11, atol 1e-13
// (the lr schedules: rtol 1e-14), except for the key-projection bias after
// Adam/AdamW (see check_run). Each check runs on the cpu and the reference
// backend.
// Set PESO_PARITY_REPORT=1 to print the largest error of each comparison.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "backends/registry.h"
#include "models/gpt/gpt.h"
#include "nn/activations.h"
#include "nn/clip_grad.h"
#include "nn/containers.h"
#include "nn/linear.h"
#include "nn/losses.h"
#include "nn/optim/adam.h"
#include "nn/optim/lr_scheduler.h"
#include "nn/optim/sgd.h"
#include "nn/serialization/safetensors.h"
#include "nn/transformer.h"
#include "peso.h"

using namespace peso;
namespace F = peso::nn::functional;
namespace optim = peso::nn::optim;

namespace {

constexpr int kSteps = 3;

// ---- fixtures and comparisons ------------------------------------------------------------

struct Fixture {
    std::string stem;  // "gpt_f32"
    DType dtype;
    std::map<std::string, Tensor> tensors;

    const Tensor& at(const std::string& name) const {
        const auto it = tensors.find(name);
        REQUIRE_MESSAGE(it != tensors.end(), "fixture " << stem << " has no tensor " << name);
        return it->second;
    }
    std::vector<std::string> names_with_prefix(const std::string& prefix) const {
        std::vector<std::string> out;
        for (const auto& [name, t] : tensors)
            if (name.rfind(prefix, 0) == 0) out.push_back(name.substr(prefix.size()));
        return out;
    }
};

Fixture load_fixture(const std::string& model, DType dtype) {
    Fixture f;
    f.dtype = dtype;
    f.stem = model + (dtype == DType::f32 ? "_f32" : "_f64");
    const auto content =
        nn::load_safetensors(std::string(PESO_SOURCE_DIR) + "/tests/fixtures/parity/" + f.stem + ".safetensors");
    for (const auto& [name, t] : content.tensors) f.tensors.emplace(name, t);
    return f;
}

struct Tolerance {
    double rtol, atol;
};
Tolerance tolerance(DType dtype) { return dtype == DType::f32 ? Tolerance{1e-4, 1e-6} : Tolerance{1e-11, 1e-13}; }

// The largest error seen by each comparison (across backends), for PESO_PARITY_REPORT.
struct Worst {
    double abs = 0.0;     // max |got - want|
    double scaled = 0.0;  // max |got - want| / (atol + rtol * |want|): <= 1 passes
};
std::map<std::string, Worst>& report() {
    static std::map<std::string, Worst> r;
    return r;
}

// Elements [begin, end) of a tensor compared with an absolute tolerance only.
struct Loose {
    std::int64_t begin = 0, end = 0;
    double atol = 0.0;
};

// Element-wise |got - want| <= atol + rtol * |want| (or loose.atol inside
// the loose range), after checking shape and dtype.
void compare(const std::string& what, const Tensor& got, const Tensor& want, Tolerance tol, Loose loose = {}) {
    INFO(what);
    REQUIRE(got.defined());
    REQUIRE(got.sizes() == want.sizes());
    CHECK(got.dtype() == want.dtype());
    const auto g = got.detach().to(DType::f64).contiguous().to_vector<double>();
    const auto w = want.to(DType::f64).contiguous().to_vector<double>();
    Worst& worst = report()[what];
    Worst& worst_loose = report()[loose.end > loose.begin ? what + " (key bias)" : what];
    int failures = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
        const bool is_loose = static_cast<std::int64_t>(i) >= loose.begin && static_cast<std::int64_t>(i) < loose.end;
        const double err = std::abs(g[i] - w[i]);
        const double allowed = is_loose ? loose.atol : tol.atol + tol.rtol * std::abs(w[i]);
        Worst& wst = is_loose ? worst_loose : worst;
        wst.abs = std::max(wst.abs, err);
        wst.scaled = std::max(wst.scaled, err / allowed);
        if (!(err <= allowed) && ++failures <= 5)
            FAIL_CHECK("element " << i << ": peso " << g[i] << ", torch " << w[i] << ", error " << err
                                  << " > allowed " << allowed);
    }
    CHECK(failures == 0);
}

void compare_values(const std::string& what, const std::vector<double>& got, const Tensor& want, Tolerance tol) {
    compare(what, from_vector(got).view({static_cast<std::int64_t>(got.size())}), want.to(DType::f64), tol);
}

// Copies init.<name> into every parameter of `model`; the fixture must hold
// exactly the model's parameters.
void load_initial(nn::Module& model, const Fixture& f) {
    const auto params = model.named_parameters();
    CHECK(f.names_with_prefix("init.").size() == params.size());
    for (const auto& [name, p] : params) {
        INFO("parameter " << name);
        const Tensor& v = f.at("init." + name);
        REQUIRE(v.sizes() == p.sizes());
        REQUIRE(v.dtype() == p.dtype());
        nn::assign_data(p, v.clone());
        p.set_grad({});
    }
}

// ---- models --------------------------------------------------------------------------------

// The forward pass of a fixture's model: (logits or output, loss).
using Forward = std::function<std::pair<Tensor, Tensor>()>;

struct Case {
    std::shared_ptr<nn::Module> model;
    Forward forward;
    models::Gpt* gpt = nullptr;  // for the GPT's parameter groups
};

Case mlp_case(const Fixture& f) {
    auto model = std::make_shared<nn::Sequential>(std::make_shared<nn::Linear>(6, 16, true, f.dtype),
                                                  std::make_shared<nn::ReLU>(),
                                                  std::make_shared<nn::Linear>(16, 5, true, f.dtype));
    const Tensor x = f.at("input.x"), target = f.at("input.target");
    auto forward = [model, x, target] {
        const Tensor logits = model->forward(x);
        nn::CrossEntropyLossOptions o;
        o.ignore_index = 3;
        o.label_smoothing = 0.1;
        return std::pair{logits, F::cross_entropy(logits, target, o)};
    };
    return {model, forward};
}

Case encoder_case(const Fixture& f, bool norm_first) {
    nn::TransformerLayerOptions o;
    o.d_model = 8;
    o.nhead = 2;
    o.dim_feedforward = 16;
    o.dropout = 0.0;
    o.norm_first = norm_first;
    o.dtype = f.dtype;
    auto layer = std::make_shared<nn::TransformerEncoderLayer>(o);
    const Tensor src = f.at("input.src"), target = f.at("input.target");
    const Tensor padding = f.at("input.key_padding_mask");
    const Tensor mask = norm_first ? f.at("input.src_mask") : Tensor{};
    auto forward = [layer, src, target, padding, mask] {
        const Tensor out = layer->forward(src, mask, padding);
        return std::pair{out, F::mse_loss(out, target)};
    };
    return {layer, forward};
}

Case gpt_case(const Fixture& f) {
    models::GptConfig c;
    c.n_layer = 2;
    c.n_head = 2;
    c.n_embd = 8;
    c.block_size = 8;
    c.vocab_size = 13;
    c.dropout = 0.0;
    auto model = std::make_shared<models::Gpt>(c);
    model->to(f.dtype);
    const Tensor idx = f.at("input.idx"), targets = f.at("input.targets");
    auto forward = [model, idx, targets] {
        const auto out = model->forward(idx, targets);
        return std::pair{out.logits, out.loss};
    };
    return {model, forward, model.get()};
}

Case make_case(const std::string& model, const Fixture& f) {
    if (model == "mlp") return mlp_case(f);
    if (model == "encoder_post") return encoder_case(f, false);
    if (model == "encoder_pre") return encoder_case(f, true);
    return gpt_case(f);
}

// ---- the optimizer runs of make_parity.py's RUNS -------------------------------------------

struct Run {
    std::function<std::unique_ptr<optim::Optimizer>(const Case&)> optimizer;
    std::function<std::unique_ptr<optim::LRScheduler>(optim::Optimizer&)> scheduler;
    double clip;
};

std::map<std::string, Run> runs_for(const std::string& model) {
    using optim::AdamOptions, optim::AdamWOptions, optim::SGDOptions, optim::OneCycleOptions;
    auto params = [](const Case& c) { return c.model->parameters(); };
    if (model == "mlp") {
        return {
            {"sgd", {[=](const Case& c) {
                         return std::make_unique<optim::SGD>(
                             params(c), SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-2, .nesterov = true});
                     },
                     [](optim::Optimizer& o) { return std::make_unique<optim::StepLR>(o, 2, 0.5); }, 1.9}},
            {"adam", {[=](const Case& c) {
                          return std::make_unique<optim::Adam>(
                              params(c), AdamOptions{.lr = 1e-2, .beta2 = 0.99, .weight_decay = 1e-2});
                      },
                      [](optim::Optimizer& o) { return std::make_unique<optim::LinearLR>(o, 0.5, 1.0, 2); }, 1.0}},
            {"adamw", {[=](const Case& c) {
                           return std::make_unique<optim::AdamW>(params(c),
                                                                 AdamWOptions{.lr = 1e-2, .weight_decay = 0.1});
                       },
                       [](optim::Optimizer& o) {
                           return std::make_unique<optim::OneCycleLR>(o, 1e-2, 5, OneCycleOptions{.pct_start = 0.4});
                       },
                       0.5}},
        };
    }
    if (model == "gpt") {
        return {
            {"sgd", {[=](const Case& c) {
                         return std::make_unique<optim::SGD>(
                             params(c), SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-2});
                     },
                     [](optim::Optimizer& o) {
                         return std::make_unique<optim::OneCycleLR>(o, 0.1, 5, OneCycleOptions{.pct_start = 0.4});
                     },
                     1.0}},
            {"adam", {[=](const Case& c) {
                          return std::make_unique<optim::Adam>(params(c),
                                                               AdamOptions{.lr = 3e-3, .weight_decay = 1e-2});
                      },
                      [](optim::Optimizer& o) { return std::make_unique<optim::LinearLR>(o); }, 1.0}},
            // nanoGPT: decay on matrices and embeddings only, its cosine schedule with warmup.
            {"adamw", {[](const Case& c) {
                           return std::make_unique<optim::AdamW>(c.gpt->optimizer_groups(0.1),
                                                                 AdamWOptions{.lr = 6e-3, .beta2 = 0.95});
                       },
                       [](optim::Optimizer& o) { return std::make_unique<optim::WarmupCosineLR>(o, 1, 4, 6e-4); },
                       2.5}},
        };
    }
    // encoder_post and encoder_pre
    return {
        {"sgd", {[=](const Case& c) {
                     return std::make_unique<optim::SGD>(
                         params(c), SGDOptions{.lr = 0.05, .momentum = 0.9, .dampening = 0.1, .weight_decay = 1e-3});
                 },
                 [](optim::Optimizer& o) { return std::make_unique<optim::LinearLR>(o, 1.0, 0.25, 3); }, 0.5}},
        {"adam", {[=](const Case& c) {
                      return std::make_unique<optim::Adam>(
                          params(c), AdamOptions{.lr = 1e-2, .weight_decay = 1e-2, .amsgrad = true});
                  },
                  [](optim::Optimizer& o) { return std::make_unique<optim::StepLR>(o, 1, 0.7); }, 1.0}},
        {"adamw", {[=](const Case& c) {
                       return std::make_unique<optim::AdamW>(params(c), AdamWOptions{.lr = 1e-2, .weight_decay = 0.05});
                   },
                   [](optim::Optimizer& o) {
                       return std::make_unique<optim::OneCycleLR>(
                           o, 2e-2, 5, OneCycleOptions{.pct_start = 0.4, .anneal_cos = false});
                   },
                   1.8}},
    };
}

// ---- the checks ------------------------------------------------------------------------------

void check_forward_backward(const std::string& model, const Fixture& f) {
    const Tolerance tol = tolerance(f.dtype);
    Case c = make_case(model, f);
    load_initial(*c.model, f);
    const auto [logits, loss] = c.forward();
    compare(f.stem + " logits", logits, f.at("out.logits"), tol);
    compare(f.stem + " loss", loss, f.at("out.loss"), tol);
    loss.backward();
    const auto params = c.model->named_parameters();
    CHECK(f.names_with_prefix("grad.").size() == params.size());
    for (const auto& [name, p] : params) compare(f.stem + " grad " + name, p.grad(), f.at("grad." + name), tol);
}

void check_run(const std::string& model, const Fixture& f, const std::string& run_name, const Run& run) {
    const Tolerance tol = tolerance(f.dtype);
    const std::string what = f.stem + " " + run_name;
    Case c = make_case(model, f);
    load_initial(*c.model, f);
    auto opt = run.optimizer(c);
    auto sched = run.scheduler(*opt);
    std::vector<double> lrs, losses, norms;
    for (int it = 0; it < kSteps; ++it) {
        lrs.push_back(opt->lr(0));
        opt->zero_grad();
        const Tensor loss = c.forward().second;
        loss.backward();
        norms.push_back(nn::clip_grad_norm_(c.model->parameters(), run.clip));
        opt->step();
        sched->step();
        losses.push_back(loss.to(DType::f64).item<double>());
    }
    // The schedules are plain double arithmetic on both sides.
    compare_values(what + " lr", lrs, f.at(run_name + ".lr"), {1e-14, 0.0});
    compare_values(what + " loss", losses, f.at(run_name + ".loss"), tol);
    compare_values(what + " grad_norm", norms, f.at(run_name + ".grad_norm"), tol);
    const auto params = c.model->named_parameters();
    CHECK(f.names_with_prefix(run_name + ".final.").size() == params.size());
    // The bias of the key projection gets a gradient that is mathematically
    // zero (adding b . q to every score of a softmax row changes nothing)
    // and numerically rounding noise: ~1e-8 in float32, ~1e-17 in float64.
    // Adam and AdamW divide by sqrt(v) + eps and so turn float32 noise into
    // steps of up to ~lr whose sign the noise decides, in PyTorch as in peso.
    // In float64 the steps are ~lr * 1e-17 / eps, i.e. ~1e-11 here. Those
    // elements influence nothing else; they are only checked to stay within
    // these bounds: 3 * the sum of the lrs used in float32, 1e-9 in float64.
    const bool normalizes = run_name != "sgd";
    double lr_sum = 0.0;
    for (double lr : lrs) lr_sum += lr;
    const double key_bias_atol = f.dtype == DType::f32 ? 3.0 * lr_sum : 1e-9;
    for (const auto& [name, p] : params) {
        Loose loose;
        const bool key_bias = name == "self_attn.in_proj_bias" || name.ends_with(".attn.c_attn.bias");
        if (normalizes && key_bias) loose = {p.numel() / 3, 2 * p.numel() / 3, key_bias_atol};
        compare(what + " final " + name, p, f.at(run_name + ".final." + name), tol, loose);
    }
}

const std::vector<std::string> kModels = {"mlp", "encoder_post", "encoder_pre", "gpt"};

template <typename Fn> void for_each_setting(Fn fn) {
    for (const std::string backend : {"cpu", "reference"}) {
        CpuBackendGuard guard(backend);
        for (DType dtype : {DType::f32, DType::f64})
            for (const auto& model : kModels) {
                INFO("backend " << backend << ", model " << model << ", " << (dtype == DType::f32 ? "f32" : "f64"));
                fn(model, load_fixture(model, dtype));
            }
    }
}

}  // namespace

TEST_CASE("parity: logits, loss and every gradient match PyTorch") {
    for_each_setting([](const std::string& model, const Fixture& f) { check_forward_backward(model, f); });
}

TEST_CASE("parity: cross_entropy with class weights, label smoothing and ignore_index matches PyTorch") {
    for_each_setting([](const std::string& model, const Fixture& f) {
        if (model != "mlp") return;
        Case c = make_case(model, f);
        load_initial(*c.model, f);
        const Tensor logits = c.forward().first.detach().requires_grad_();
        nn::CrossEntropyLossOptions o;
        o.weight = f.at("input.class_weight");
        o.ignore_index = 3;
        o.label_smoothing = 0.1;
        const Tensor loss = F::cross_entropy(logits, f.at("input.target"), o);
        loss.backward();
        compare(f.stem + " weighted loss", loss, f.at("input.loss_weighted"), tolerance(f.dtype));
        compare(f.stem + " weighted dlogits", logits.grad(), f.at("input.dlogits_weighted"), tolerance(f.dtype));
    });
}

TEST_CASE("parity: 3 steps of SGD, Adam and AdamW with a scheduler and clipping match PyTorch") {
    for_each_setting([](const std::string& model, const Fixture& f) {
        for (const auto& [name, run] : runs_for(model)) {
            INFO("run " << name);
            check_run(model, f, name, run);
        }
    });
}

TEST_CASE("parity: report") {
    if (std::getenv("PESO_PARITY_REPORT") == nullptr) return;
    for (const auto& [what, w] : report())
        std::printf("%-60s max abs err %.3e  (%.3f of allowed)\n", what.c_str(), w.abs, w.scaled);
}
