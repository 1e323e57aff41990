#pragma once
// Runs the PyTorch differential cases (tests/fixtures/differential, written by
// scripts/make_torch_differential.py, whose docstring defines the format) on
// a device: builds each case's inputs and upstream gradients in their
// recorded layouts, runs the op (tests/support/torch_differential_ops.h), and
// compares with PyTorch's outputs, first-order gradients (through
// autograd::backward and through autograd::grad) and second-order gradients.
//
// Tolerances: |peso - torch| <= tol * (|torch| + max(1, max |torch| over the
// tensor)), tol = 1e-9 for float64 cases. Where float32 is involved (case
// "p": 32), tol = max(2e-5, 4 e), e being the same scaled error of PyTorch's
// own float32 results against the case computed in float64 (case "e"): an
// ill-conditioned float32 case (layer_norm of nearly equal values) allows
// what PyTorch itself is off by. NaN must meet NaN and an infinity the same
// infinity.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "autograd/op_registry.h"
#include "nn/serialization/safetensors.h"
#include "peso.h"
#include "tests/support/torch_differential_ops.h"

namespace peso::testing::differential {

struct Fixture {
    json cases;
    std::vector<float> f32;
    std::vector<double> f64;
    std::vector<std::int64_t> i64;
};

inline const Fixture& fixture() {
    static const Fixture fx = [] {
        const std::string path =
            std::string(PESO_SOURCE_DIR) + "/tests/fixtures/differential/torch_differential.safetensors";
        const auto content = nn::load_safetensors(path);
        Fixture f;
        f.cases = json::parse(content.metadata.at("cases"));
        for (const auto& [name, t] : content.tensors) {
            if (name == "f32") f.f32 = t.to_vector<float>();
            else if (name == "f64") f.f64 = t.to_vector<double>();
            else if (name == "i64") f.i64 = t.to_vector<std::int64_t>();
        }
        return f;
    }();
    return fx;
}

inline constexpr double kTolF64 = 1e-9;
inline constexpr double kTolF32 = 2e-5;
inline constexpr double kF32ErrorFactor = 4.0;

inline double tolerance(const json& c) {
    if (!c.contains("p")) return kTolF64;
    return std::max(kTolF32, kF32ErrorFactor * c.value("e", 0.0));
}

// ---- building tensors --------------------------------------------------------------------

inline Tensor apply_steps(Tensor t, const json& steps) {
    for (const json& st : steps) {
        const std::string kind = st[0];
        if (kind == "t") t = permute(t, dims_of(st[1]));
        else if (kind == "s") {
            const std::int64_t start = st[2], step = st[3], n = st[4];
            t = slice(narrow(t, st[1], start, n > 0 ? step * (n - 1) + 1 : 0), st[1], std::nullopt, std::nullopt, step);
        } else if (kind == "e") t = expand(t, dims_of(st[1]));
        else if (kind == "i") t = select(t, st[1], st[2]);
        else PESO_CHECK(false, ValueError, "differential: unknown layout step '{}'", kind);
    }
    return t;
}

// A spec's tensor ({"t", "b", "l", "d"}) on `device`, without gradient history.
inline Tensor build_tensor(const json& spec, const Fixture& fx, Device device) {
    NoGradGuard g;
    const Dims base = dims_of(spec["b"]);
    const auto n = static_cast<std::size_t>(base.product());
    const std::size_t d = spec["d"];
    const DType dtype = dtype_of(spec["t"]);
    Tensor t;
    if (is_floating(dtype)) t = from_vector(std::vector<float>(fx.f32.begin() + d, fx.f32.begin() + d + n), base);
    else t = from_vector(std::vector<std::int64_t>(fx.i64.begin() + d, fx.i64.begin() + d + n), base);
    return apply_steps(t.to(dtype).to(device), spec["l"]).detach();
}

inline std::vector<double> f64_values(const Fixture& fx, std::size_t offset, std::int64_t n) {
    return {fx.f64.begin() + offset, fx.f64.begin() + offset + n};
}

// ---- comparing -------------------------------------------------------------------------

// Compares got (any device, dtype) with n expected values; "" when they match.
inline std::string compare(const Tensor& got, const std::vector<double>& want, double tol) {
    const std::vector<double> v = got.to(Device::cpu()).to(DType::f64).contiguous().to_vector<double>();
    if (v.size() != want.size()) return fmt::format("{} values, expected {}", v.size(), want.size());
    double scale = 1.0;
    for (double w : want)
        if (std::isfinite(w)) scale = std::max(scale, std::abs(w));
    double worst = 0.0;
    std::size_t at = 0;
    bool bad = false;
    for (std::size_t i = 0; i < v.size(); ++i) {
        const double w = want[i], g = v[i];
        double err;
        if (std::isnan(w) || std::isinf(w)) err = (std::isnan(w) ? std::isnan(g) : g == w) ? 0.0 : HUGE_VAL;
        else err = std::isnan(g) ? HUGE_VAL : std::abs(g - w) / (std::abs(w) + scale);
        if (err > tol) bad = true;
        if (err > worst || (bad && worst == 0.0)) worst = err, at = i;
    }
    if (!bad) return "";
    return fmt::format("max scaled error {:.3g} (tolerance {:.0e}) at flat index {}: expected {:.17g}, got {:.17g}",
                       worst, tol, at, want[at], v[at]);
}

// ---- describing --------------------------------------------------------------------------

inline std::string describe_spec(const json& spec, const Fixture& fx) {
    if (spec.contains("same")) return fmt::format("the same tensor as in[{}]", spec["same"].get<int>());
    const Tensor t = build_tensor(spec, fx, Device::cpu());
    std::string s = fmt::format("{} shape {} base {} layout {}{} strides {} offset {}", spec["t"].get<std::string>(),
                                t.sizes(), spec["b"].dump(), spec["l"].dump(),
                                spec.value("r", 0) ? " requires_grad" : "", t.strides(), t.storage_offset());
    if (t.numel() <= 24) s += " values " + t.to(DType::f64).contiguous().str();
    return s;
}

inline std::string describe_case(std::size_t index, const json& c, const Fixture& fx) {
    const std::string f32 = c.contains("p") ? fmt::format(" (float32 involved, tolerance {:.2g})", tolerance(c)) : "";
    std::string s = fmt::format("case #{} op {} options {}{}\n", index, c["op"].get<std::string>(), c["o"].dump(), f32);
    for (std::size_t k = 0; k < c["in"].size(); ++k)
        s += fmt::format("  in[{}]: {}\n", k, describe_spec(c["in"][k], fx));
    for (std::size_t k = 0; k < c["up"].size(); ++k)
        s += fmt::format("  upstream of out[{}]: {}\n", c["up"][k]["o"].get<int>(), describe_spec(c["up"][k], fx));
    return s;
}

// ---- running -----------------------------------------------------------------------------

struct CaseRun {
    TL inputs, leaves, outputs, roots, upstream;
};

// Builds the inputs and upstream gradients on `device` and runs the op.
inline CaseRun forward(const json& c, const Fixture& fx, Device device) {
    CaseRun r;
    for (const json& spec : c["in"]) {
        if (spec.contains("same")) {
            r.inputs.push_back(r.inputs.at(spec["same"].get<std::size_t>()));
            continue;
        }
        Tensor t = build_tensor(spec, fx, device);
        if (spec["r"].get<int>()) {
            t.requires_grad_(true);
            r.leaves.push_back(t);
        }
        r.inputs.push_back(t);
    }
    const auto& ops = interpreter_ops();
    const auto it = ops.find(c["op"].get<std::string>());
    PESO_CHECK(it != ops.end(), ValueError, "differential: no interpreter function '{}'", c["op"].get<std::string>());
    r.outputs = it->second(r.inputs, c["o"]);
    for (const json& up : c["up"]) {
        const Tensor& o = r.outputs.at(up["o"].get<std::size_t>());
        if (!o.requires_grad()) continue;  // peso sees a constant: its contribution is missing, as the grads will show
        r.roots.push_back(o);
        r.upstream.push_back(build_tensor(up, fx, device));
    }
    return r;
}

inline Tensor or_zeros(const Tensor& g, const Tensor& like) {
    return g.defined() ? g : zeros(like.sizes(), TensorOptions(like.dtype()).device(like.device()));
}

class CaseChecker {
public:
    CaseChecker(const json& c, const Fixture& fx, Device device, double tol)
        : c_(c), fx_(fx), device_(device), tol_(tol) {}
    const std::vector<std::string>& problems() const { return problems_; }

    void outputs(const TL& outs) {
        const json& want = c_["out"];
        if (outs.size() != want.size())
            return fail(fmt::format("{} outputs, expected {}", outs.size(), want.size()));
        for (std::size_t j = 0; j < outs.size(); ++j) {
            const Dims shape = dims_of(want[j]["s"]);
            const std::string what = fmt::format("out[{}]", j);
            // to_device's output is on the cpu by design; every other op stays on the inputs' device.
            const Device device = c_["op"] == "to_device" ? Device::cpu() : device_;
            if (outs[j].device() != device) fail(fmt::format("{}: on {}, expected {}", what, outs[j].device(), device));
            if (outs[j].sizes() != shape) fail(fmt::format("{}: shape {}, expected {}", what, outs[j].sizes(), shape));
            else if (outs[j].dtype() != dtype_of(want[j]["t"]))
                fail(fmt::format("{}: dtype {}, expected {}", what, outs[j].dtype(), want[j]["t"].get<std::string>()));
            else if (!want[j]["d"].is_null())
                value(what, outs[j], want[j]["d"].get<std::size_t>());
        }
    }

    // grads[k] against leaf k's recorded gradient in the list `key` ("g" or "gg").
    void grads(const std::string& what, const char* key, const TL& grads, const TL& leaves) {
        for (std::size_t k = 0; k < leaves.size(); ++k) {
            const Tensor g = or_zeros(grads[k], leaves[k]);
            const std::string name = fmt::format("{} of leaf {}", what, k);
            if (g.sizes() != leaves[k].sizes())
                fail(fmt::format("{}: shape {}, expected {}", name, g.sizes(), leaves[k].sizes()));
            else if (g.device() != device_) fail(fmt::format("{}: on {}, expected {}", name, g.device(), device_));
            else if (g.dtype() != leaves[k].dtype())
                fail(fmt::format("{}: dtype {}, expected {}", name, g.dtype(), leaves[k].dtype()));
            else value(name, g, c_[key][k].get<std::size_t>());
        }
    }

    void fail(std::string problem) { problems_.push_back(std::move(problem)); }

private:
    void value(const std::string& what, const Tensor& got, std::size_t offset) {
        const std::string err = compare(got, f64_values(fx_, offset, got.numel()), tol_);
        if (!err.empty()) fail(what + ": " + err);
    }

    const json& c_;
    const Fixture& fx_;
    Device device_;
    double tol_;
    std::vector<std::string> problems_;
};

// The vectors v of the second-order check, one per leaf (contiguous, recorded in "v").
inline TL second_order_weights(const json& c, const Fixture& fx, const TL& leaves) {
    TL vs;
    for (std::size_t k = 0; k < leaves.size(); ++k) {
        const Dims& shape = leaves[k].sizes();
        json spec = {{"t", "f64"}, {"b", std::vector<std::int64_t>(shape.begin(), shape.end())}, {"l", json::array()},
                     {"d", c["v"][k]}};
        vs.push_back(build_tensor(spec, fx, leaves[k].device()).to(leaves[k].dtype()));
    }
    return vs;
}

// First order through backward() and .grad(); then through grad(create_graph)
// and, for twice-differentiable ops, the gradient of sum(g * v).
inline std::vector<std::string> run_case(const json& c, const Fixture& fx, Device device) {
    CaseChecker check(c, fx, device, tolerance(c));
    try {
        {
            const CaseRun r = forward(c, fx, device);
            check.outputs(r.outputs);
            if (!r.roots.empty()) autograd::backward(r.roots, r.upstream);
            TL g;
            for (const Tensor& l : r.leaves) g.push_back(l.grad());
            check.grads("grad (backward)", "g", g, r.leaves);
        }
        const bool twice = c.contains("gg");
        const CaseRun r = forward(c, fx, device);
        TL g(r.leaves.size());
        if (!r.roots.empty()) g = autograd::grad(r.roots, r.leaves, r.upstream, std::nullopt, twice, true);
        check.grads("grad (autograd::grad)", "g", g, r.leaves);
        if (!twice) return check.problems();
        const TL vs = second_order_weights(c, fx, r.leaves);
        TL have, weights;
        for (std::size_t k = 0; k < g.size(); ++k)
            if (g[k].defined() && g[k].requires_grad()) have.push_back(g[k]), weights.push_back(vs[k]);
        TL gg(r.leaves.size());
        if (!have.empty()) gg = autograd::grad(have, r.leaves, weights, std::nullopt, false, true);
        check.grads("second order", "gg", gg, r.leaves);
    } catch (const std::exception& e) {
        check.fail(fmt::format("threw: {}", e.what()));
    }
    return check.problems();
}

// ---- a whole run ---------------------------------------------------------------------------

struct RunSummary {
    std::size_t cases = 0, failures = 0;
    std::set<std::string> ops;
    std::map<std::string, std::pair<int, int>> per_op;  // op -> (failed, run)
    std::set<std::string, std::less<>> recorded;        // registry ops that passing cases recorded
};

// Runs the cases that `chosen` accepts, prints every failing case and a summary
// line "<label>: N cases, M ops, K failures".
template <typename Chosen>
RunSummary run_cases(const std::string& label, Device device, Chosen chosen) {
    const Fixture& fx = fixture();
    RunSummary s;
    for (std::size_t i = 0; i < fx.cases.size(); ++i) {
        const json& c = fx.cases[i];
        if (!chosen(i, c)) continue;
        const std::string op = c["op"];
        autograd::RecordedOps recorded;
        const auto problems = run_case(c, fx, device);
        ++s.cases;
        s.ops.insert(op);
        auto& [failed, run] = s.per_op[op];
        ++run;
        if (problems.empty()) {
            s.recorded.insert(recorded.names().begin(), recorded.names().end());
            continue;
        }
        ++failed;
        ++s.failures;
        std::string text = fmt::format("{} FAILED {}", label, describe_case(i, c, fx));
        for (const auto& p : problems) text += "  -> " + p + "\n";
        std::printf("%s", text.c_str());
    }
    for (const auto& [op, fr] : s.per_op)
        if (fr.first) std::printf("%s: op %s failed %d of %d cases\n", label.c_str(), op.c_str(), fr.first, fr.second);
    std::printf("%s: %zu cases, %zu ops, %zu failures\n", label.c_str(), s.cases, s.ops.size(), s.failures);
    std::fflush(stdout);
    return s;
}

// The registered ops (autograd/op_registry.cpp) that no passing case recorded.
inline std::vector<std::string> uncovered_registry_ops(const RunSummary& s) {
    std::vector<std::string> missing;
    for (const auto& op : autograd::differentiable_ops())
        if (!s.recorded.count(op.name)) missing.emplace_back(op.name);
    return missing;
}

}  // namespace peso::testing::differential
