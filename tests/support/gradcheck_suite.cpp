#include "tests/support/gradcheck_suite.h"

#include <map>
#include <memory>
#include <set>

#include "autograd/op_registry.h"

namespace peso::testing {

using autograd::GradcheckFn;
using autograd::OpInfo;
using Names = std::set<std::string, std::less<>>;

GradcheckFn on_device(GradcheckFn fn, Device device) {
    return [fn = std::move(fn), device](const TL& x) -> TL {
        TL moved;
        for (const Tensor& t : x) moved.push_back(t.defined() ? t.to(device) : t);
        TL out = fn(moved);
        for (Tensor& o : out) {
            if (!o.defined()) continue;
            PESO_CHECK(o.device() == device, DeviceError, "on_device: an output is on {}, expected {}", o.device(),
                       device);
            o = o.to(Device::cpu());
        }
        return out;
    };
}

namespace {

// fn, adding to `names` the ops whose nodes it records: its own forward
// only, not the backward passes gradcheck runs around it.
GradcheckFn recording(GradcheckFn fn, std::shared_ptr<Names> names) {
    return [fn = std::move(fn), names = std::move(names)](const TL& x) -> TL {
        const autograd::RecordedOps scope;
        TL out = fn(x);
        names->insert(scope.names().begin(), scope.names().end());
        return out;
    };
}

// The gradient of sum(fn's outputs * fixed random weights) with respect to
// the sample's inputs that require grad (zeros where one does not reach them).
TL analytic_gradient(const Sample& s, const GradcheckFn& fn, std::uint64_t seed) {
    Inputs in(seed);
    const TL x = s.make(in);
    TL wrt;
    for (const Tensor& t : x)
        if (t.defined() && t.requires_grad()) wrt.push_back(t);
    const TL outs = fn(x);
    Generator gen(seed + 1);
    TL roots, grads;
    for (const Tensor& o : outs) {
        if (!o.defined() || !o.requires_grad()) continue;
        roots.push_back(o);
        grads.push_back(randn(o.sizes(), TensorOptions(o.dtype()), &gen));
    }
    TL g = roots.empty() ? TL(wrt.size()) : autograd::grad(roots, wrt, grads, std::nullopt, false, true);
    for (std::size_t i = 0; i < g.size(); ++i)
        if (!g[i].defined()) g[i] = zeros(wrt[i].sizes(), DType::f64);
    return g;
}

std::string option_key(std::string_view op, std::string_view option) { return fmt::format("{}: {}", op, option); }

// Empty when every option the sample names is declared for its op.
std::string undeclared_option(const Sample& s, const OpInfo& op) {
    for (const std::string& o : s.options) {
        bool found = false;
        for (const auto& d : op.options)
            for (const auto& v : d.values) found = found || o == fmt::format("{}={}", d.name, v);
        if (!found) return fmt::format("option '{}' is not declared for '{}' in autograd/op_registry.cpp", o, s.op);
    }
    return "";
}

struct OpStats {
    int samples = 0;
    double max_abs = 0.0, max_gradgrad = 0.0;
    bool gradgrad = false;
};

// Runs one sample; empty when it passes.
std::string run_sample(const Sample& s, const OpInfo& info, std::uint64_t seed, const SuiteConfig& cfg, Names& names,
                       OpStats& stats) {
    auto recorded = std::make_shared<Names>();
    GradcheckFn fn = recording(s.fn, recorded);
    if (cfg.device) fn = on_device(fn, *cfg.device);
    try {
        Inputs in(seed);
        const TL x = s.make(in);
        const auto r = autograd::gradcheck(fn, x, s.opts);
        if (!r.ok) return r.report;
        for (std::size_t i = 0; i < x.size(); ++i)
            if (x[i].defined() && x[i].requires_grad() && !x[i].is_leaf())
                return fmt::format("input {} is no longer a leaf after the function ran", i);
        stats.max_abs = std::max(stats.max_abs, r.max_abs_error);
        if (info.twice_differentiable) {
            const auto r2 = autograd::gradgradcheck(fn, x, s.opts, seed);
            if (!r2.ok) return "gradgradcheck: " + r2.report;
            stats.max_gradgrad = std::max(stats.max_gradgrad, r2.max_abs_error);
            stats.gradgrad = true;
        }
        TL got, ref;
        if (cfg.device) {
            got = analytic_gradient(s, fn, seed);
        } else {
            CpuBackendGuard g("cpu");
            got = analytic_gradient(s, fn, seed);
        }
        {
            CpuBackendGuard g("reference");
            ref = analytic_gradient(s, s.fn, seed);
        }
        if (got.size() != ref.size()) return "the reference backend gives a different number of gradients";
        for (std::size_t i = 0; i < got.size(); ++i)
            if (!allclose(got[i], ref[i], cfg.rtol, cfg.atol))
                return fmt::format("the gradient of input {} differs from the reference backend's:\n{}\nvs\n{}", i,
                                   got[i].str(), ref[i].str());
    } catch (const std::exception& e) {
        return std::string("threw: ") + e.what();
    }
    ++stats.samples;
    names = std::move(*recorded);
    return "";
}

}  // namespace

SuiteResult run_gradcheck_suite(const SuiteConfig& cfg) {
    SuiteResult res;
    const std::vector<Sample>& samples = all_samples();
    const bool two_devices = cfg.device || second_device_available();
    // Ops whose every sample needs a second device: not checked in a build
    // with one device (to_device, without the CUDA emulator).
    Names skipped;
    if (!two_devices) {
        Names reachable;
        for (const Sample& s : samples) (s.needs_second_device ? skipped : reachable).insert(s.op);
        for (const std::string& op : reachable) skipped.erase(op);
    }
    Names ops_covered, values_covered;
    std::map<std::string, OpStats> stats;
    std::size_t run = 0;
    for (std::size_t i = 0; i < samples.size(); ++i) {
        const Sample& s = samples[i];
        const OpInfo* info = autograd::find_op(s.op);
        if (!info) {
            res.failures.push_back(s.label() + ": a sample for an op missing from autograd/op_registry.cpp");
            continue;
        }
        if (const std::string bad = undeclared_option(s, *info); !bad.empty()) {
            res.failures.push_back(s.label() + ": " + bad);
            continue;
        }
        if (s.needs_second_device && !two_devices) continue;
        ++run;
        Names names;
        const std::string why = run_sample(s, *info, 1000 + i, cfg, names, stats[s.op]);
        if (!why.empty()) {
            res.failures.push_back(s.label() + ": " + why);
            continue;
        }
        if (!names.count(s.op)) {
            res.failures.push_back(s.label() + ": its function recorded no '" + s.op +
                                   "' node (recorded: " + fmt::format("{}", fmt::join(names, ", ")) + ")");
            continue;
        }
        ops_covered.insert(names.begin(), names.end());
        for (const std::string& o : s.options) values_covered.insert(option_key(s.op, o));
    }
    std::size_t n_ops = 0, n_covered = 0, n_values = 0, n_values_covered = 0;
    for (const OpInfo& op : autograd::differentiable_ops()) {
        if (skipped.count(op.name)) {
            res.notes.push_back(
                fmt::format("{}: not checked, its samples need a second device and this build has none", op.name));
            continue;
        }
        ++n_ops;
        if (ops_covered.count(op.name))
            ++n_covered;
        else
            res.failures.push_back(fmt::format("{}: no passing sample recorded a '{}' node", op.name, op.name));
        for (const auto& d : op.options)
            for (const auto& v : d.values) {
                ++n_values;
                const std::string key = option_key(op.name, fmt::format("{}={}", d.name, v));
                if (values_covered.count(key))
                    ++n_values_covered;
                else
                    res.failures.push_back(key + ": no passing sample exercises this option value");
            }
        const OpStats& st = stats[std::string(op.name)];
        std::string line =
            fmt::format("{:<14} {:>3} samples passed  max abs err {:.2e}", op.name, st.samples, st.max_abs);
        if (st.gradgrad) line += fmt::format("  gradgrad max abs err {:.2e}", st.max_gradgrad);
        res.op_lines.push_back(line);
    }
    res.summary =
        fmt::format("gradcheck: {} of {} differentiable ops covered, {} samples, {} of {} option values covered",
                    n_covered, n_ops, run, n_values_covered, n_values);
    res.complete = n_covered == n_ops && n_values_covered == n_values;
    return res;
}

}  // namespace peso::testing
