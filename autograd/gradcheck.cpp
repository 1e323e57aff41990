#include "autograd/gradcheck.h"

#include <cmath>

#include "autograd/engine.h"
#include "autograd/function.h"
#include "autograd/functions.h"

namespace peso::autograd {

namespace {

// Element `linear` (row-major) of a strided float64 CPU tensor.
double& element(const Tensor& t, std::int64_t linear) {
    std::int64_t off = 0;
    for (int d = t.dim() - 1; d >= 0; --d) {
        off += (linear % t.size(d)) * t.stride(d);
        linear /= t.size(d);
    }
    return static_cast<double*>(t.data_ptr())[off];
}

std::string index_str(const Dims& shape, std::int64_t linear) {
    Dims idx = Dims::filled(shape.size(), 0);
    for (int d = shape.size() - 1; d >= 0; --d) {
        idx[d] = linear % shape[d];
        linear /= shape[d];
    }
    return idx.str();
}

void check_inputs(const std::vector<Tensor>& inputs) {
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const Tensor& t = inputs[i];
        if (!t.defined() || !t.requires_grad()) continue;
        PESO_CHECK(t.dtype() == DType::f64 && t.device().is_cpu(), DTypeError,
                   "gradcheck: input {} must be a float64 cpu tensor, got {} on {}", i, t.dtype(), t.device());
        for (int d = 0; d < t.dim(); ++d)
            PESO_CHECK(!(t.stride(d) == 0 && t.size(d) > 1), ValueError,
                       "gradcheck: input {} has overlapping elements (shape {}, strides {})", i, t.sizes(), t.strides());
    }
}

std::vector<Tensor> differentiable_outputs(const std::vector<Tensor>& outs) {
    std::vector<Tensor> r;
    for (const Tensor& o : outs)
        if (o.defined() && is_floating(o.dtype())) r.push_back(o);
    return r;
}

// Output values, copied: an output may be a view of an input (or be an
// input), whose memory the finite differences are about to change again.
std::vector<Tensor> output_values(const std::vector<Tensor>& outs) {
    std::vector<Tensor> r;
    for (const Tensor& o : differentiable_outputs(outs)) r.push_back(native::clone(o.detach()));
    return r;
}

struct Worst {
    double abs = -1.0, rel = 0.0, analytic = 0.0, numeric = 0.0;
    std::size_t input = 0, output = 0;
    std::int64_t in_elem = 0, out_elem = 0;
};

}  // namespace

GradcheckResult gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, GradcheckOptions opts) {
    check_inputs(inputs);
    GradcheckResult result;
    std::vector<std::size_t> wrt;
    std::vector<Tensor> wrt_tensors;
    for (std::size_t i = 0; i < inputs.size(); ++i)
        if (inputs[i].defined() && inputs[i].requires_grad()) { wrt.push_back(i); wrt_tensors.push_back(inputs[i]); }
    if (wrt.empty()) return result;

    const std::vector<Tensor> outs = differentiable_outputs(fn(inputs));
    // analytic[o][k][w]: d out_o[k] / d input_w, one vector-Jacobian product per output element.
    std::vector<std::vector<std::vector<Tensor>>> analytic(outs.size());
    for (std::size_t o = 0; o < outs.size(); ++o) {
        for (std::int64_t k = 0; k < outs[o].numel(); ++k) {
            Tensor go = native::zeros(outs[o].sizes(), TensorOptions(outs[o].dtype()));
            element(go, k) = 1.0;
            std::vector<Tensor> g;
            if (outs[o].requires_grad()) g = autograd::grad({outs[o]}, wrt_tensors, {go}, true, false, true);
            else g.assign(wrt_tensors.size(), Tensor());
            // Read element by element below: convert once here.
            for (Tensor& gi : g)
                if (gi.defined()) gi = native::contiguous(native::to_dtype(gi.detach(), DType::f64));
            analytic[o].push_back(std::move(g));
        }
    }
    Worst worst;
    for (std::size_t w = 0; w < wrt.size(); ++w) {
        const Tensor& x = inputs[wrt[w]];
        for (std::int64_t j = 0; j < x.numel(); ++j) {
            double& v = element(x, j);
            const double saved = v;
            // Evaluated with grad mode as the caller has it: fn may itself
            // compute gradients (gradgradcheck's first derivative does).
            v = saved + opts.eps;
            const std::vector<Tensor> plus = output_values(fn(inputs));
            v = saved - opts.eps;
            const std::vector<Tensor> minus = output_values(fn(inputs));
            v = saved;
            PESO_CHECK(plus.size() == outs.size() && minus.size() == outs.size(), Error,
                       "gradcheck: the function returned a different number of outputs for perturbed inputs");
            for (std::size_t o = 0; o < outs.size(); ++o) {
                const Tensor num = native::div(native::sub(plus[o].to(DType::f64), minus[o].to(DType::f64)), 2 * opts.eps);
                for (std::int64_t k = 0; k < outs[o].numel(); ++k) {
                    const Tensor& ga = analytic[o][static_cast<std::size_t>(k)][w];
                    const double a = ga.defined() ? element(ga, j) : 0.0;
                    const double n = element(num, k);
                    const double err = std::abs(a - n);
                    const double rel = err / std::max(std::abs(n), 1e-12);
                    result.max_abs_error = std::max(result.max_abs_error, err);
                    if (err > opts.atol) result.max_rel_error = std::max(result.max_rel_error, rel);
                    const bool bad = !(err <= opts.atol + opts.rtol * std::abs(n));
                    if (bad && (worst.abs < 0 || err > worst.abs)) worst = {err, rel, a, n, wrt[w], o, j, k};
                    if (bad) result.ok = false;
                }
            }
        }
    }
    if (!result.ok) {
        result.report = fmt::format(
            "gradcheck failed: d output {}{} / d input {}{} is {:.10g} analytically but {:.10g} numerically "
            "(abs error {:.3g}, rel error {:.3g}; atol {}, rtol {}, eps {})",
            worst.output, index_str(outs[worst.output].sizes(), worst.out_elem), worst.input,
            index_str(inputs[worst.input].sizes(), worst.in_elem), worst.analytic, worst.numeric, worst.abs, worst.rel,
            opts.atol, opts.rtol, opts.eps);
        if (opts.raise) throw Error(result.report);
    }
    return result;
}

GradcheckResult gradgradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, GradcheckOptions opts,
                              std::uint64_t seed) {
    check_inputs(inputs);
    const std::vector<Tensor> outs = differentiable_outputs(fn(inputs));
    Generator gen(seed);
    std::vector<Tensor> grad_outs;
    for (const Tensor& o : outs) {
        Tensor g = native::randn(o.sizes(), TensorOptions(DType::f64), &gen);
        g.requires_grad_(true);
        grad_outs.push_back(g);
    }
    std::vector<std::size_t> wrt;
    for (std::size_t i = 0; i < inputs.size(); ++i)
        if (inputs[i].defined() && inputs[i].requires_grad()) wrt.push_back(i);
    const std::size_t n_in = inputs.size();
    // f(inputs..., grad_outputs...) = d(sum(outputs * grad_outputs))/d(inputs), with history.
    GradcheckFn first_derivative = [fn, n_in, wrt](const std::vector<Tensor>& all) -> std::vector<Tensor> {
        const std::vector<Tensor> ins(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n_in));
        const std::vector<Tensor> gos(all.begin() + static_cast<std::ptrdiff_t>(n_in), all.end());
        std::vector<Tensor> o = differentiable_outputs(fn(ins));
        std::vector<Tensor> roots, root_grads;
        for (std::size_t i = 0; i < o.size(); ++i)
            if (o[i].requires_grad()) { roots.push_back(o[i]); root_grads.push_back(gos[i]); }
        std::vector<Tensor> targets;
        for (std::size_t i : wrt) targets.push_back(ins[i]);
        if (roots.empty()) return {};
        std::vector<Tensor> g = autograd::grad(roots, targets, root_grads, true, true, true);
        std::vector<Tensor> res;
        for (std::size_t i = 0; i < g.size(); ++i)
            res.push_back(g[i].defined() ? g[i] : native::zeros(targets[i].sizes(), TensorOptions(DType::f64)));
        return res;
    };
    std::vector<Tensor> all = inputs;
    all.insert(all.end(), grad_outs.begin(), grad_outs.end());
    return gradcheck(first_derivative, all, opts);
}

}  // namespace peso::autograd
