// peso._C._optim: the C++ optimizers and schedulers. peso/optim/ wraps them in
// PyTorch's shape (param_groups as dicts, betas as a tuple); step() and
// zero_grad() run without the GIL.
#include "nn/optim/adam.h"
#include "nn/optim/lr_scheduler.h"
#include "nn/optim/sgd.h"
#include "python/src/args.h"

namespace peso::python {
namespace {

namespace O = nn::optim;
using Groups = std::vector<std::pair<std::vector<Tensor>, O::Options>>;

std::vector<O::ParamGroup> to_groups(const Groups& groups) {
    std::vector<O::ParamGroup> out;
    for (const auto& [params, options] : groups) out.push_back({params, options});
    return out;
}

void bind_optimizer_base(py::module_& o) {
    py::class_<O::Optimizer>(o, "Optimizer")
        .def("step", [](O::Optimizer& opt) { opt.step(); }, nogil())
        .def("step", [](O::Optimizer& opt, py::function closure) {
            GilCallable call(std::move(closure));
            py::gil_scoped_release r;
            return opt.step([call] {
                py::gil_scoped_acquire g;
                return call.call().cast<Tensor>();
            });
        })
        .def("zero_grad", &O::Optimizer::zero_grad, py::arg("set_to_none") = true, nogil())
        .def("add_param_group", [](O::Optimizer& opt, const std::vector<Tensor>& ps, const O::Options& options) {
            opt.add_param_group({ps, options});
        })
        .def("num_groups", &O::Optimizer::num_groups)
        .def("group_params", [](const O::Optimizer& opt, std::size_t g) { return opt.param_groups().at(g).params; })
        .def("defaults", &O::Optimizer::defaults)
        .def("option", &O::Optimizer::option)
        .def("set_option", &O::Optimizer::set_option, py::arg("group"), py::arg("key"), py::arg("value"),
             py::arg("validate") = true)
        .def("state_dict", [](const O::Optimizer& opt) {
            const auto s = opt.state_dict();
            return py::make_tuple(s.tensors, s.scalars);
        })
        .def("load_state_dict", [](O::Optimizer& opt, const nn::NamedTensors& t, const std::map<std::string, double>& s) {
            opt.load_state_dict({t, s});
        })
        .def("type_name", &O::Optimizer::type_name);
}

void bind_optimizers(py::module_& o) {
    py::class_<O::SGD, O::Optimizer>(o, "SGD").def(
        py::init([](const Groups& g, double lr, double momentum, double dampening, double wd, bool nesterov,
                    bool maximize) {
            return std::make_unique<O::SGD>(to_groups(g), O::SGDOptions{lr, momentum, dampening, wd, nesterov, maximize});
        }),
        py::arg("groups"), py::arg("lr") = 1e-3, py::arg("momentum") = 0.0, py::arg("dampening") = 0.0,
        py::arg("weight_decay") = 0.0, py::arg("nesterov") = false, py::arg("maximize") = false);
    py::class_<O::Adam, O::Optimizer>(o, "Adam").def(
        py::init([](const Groups& g, double lr, double b1, double b2, double eps, double wd, bool ams, bool maximize) {
            return std::make_unique<O::Adam>(to_groups(g), O::AdamOptions{lr, b1, b2, eps, wd, ams, maximize});
        }),
        py::arg("groups"), py::arg("lr") = 1e-3, py::arg("beta1") = 0.9, py::arg("beta2") = 0.999,
        py::arg("eps") = 1e-8, py::arg("weight_decay") = 0.0, py::arg("amsgrad") = false, py::arg("maximize") = false);
    py::class_<O::AdamW, O::Adam>(o, "AdamW").def(
        py::init([](const Groups& g, double lr, double b1, double b2, double eps, double wd, bool ams, bool maximize) {
            return std::make_unique<O::AdamW>(to_groups(g), O::AdamWOptions{lr, b1, b2, eps, wd, ams, maximize});
        }),
        py::arg("groups"), py::arg("lr") = 1e-3, py::arg("beta1") = 0.9, py::arg("beta2") = 0.999,
        py::arg("eps") = 1e-8, py::arg("weight_decay") = 1e-2, py::arg("amsgrad") = false,
        py::arg("maximize") = false);
}

// Every scheduler keeps its optimizer alive (keep_alive<1, 2>).
void bind_schedulers(py::module_& o) {
    py::class_<O::LRScheduler>(o, "LRScheduler")
        .def("step", &O::LRScheduler::step, nogil())
        .def("get_last_lr", &O::LRScheduler::get_last_lr)
        .def_property_readonly("base_lrs", &O::LRScheduler::base_lrs)
        .def_property_readonly("last_epoch", &O::LRScheduler::last_epoch)
        .def("state_dict", &O::LRScheduler::state_dict)
        .def("load_state_dict", &O::LRScheduler::load_state_dict);
    py::class_<O::StepLR, O::LRScheduler>(o, "StepLR")
        .def(py::init<O::Optimizer&, std::int64_t, double>(), py::arg("optimizer"), py::arg("step_size"),
             py::arg("gamma") = 0.1, py::keep_alive<1, 2>());
    py::class_<O::ConstantLR, O::LRScheduler>(o, "ConstantLR")
        .def(py::init<O::Optimizer&, double, std::int64_t>(), py::arg("optimizer"), py::arg("factor") = 1.0 / 3.0,
             py::arg("total_iters") = 5, py::keep_alive<1, 2>());
    py::class_<O::LinearLR, O::LRScheduler>(o, "LinearLR")
        .def(py::init<O::Optimizer&, double, double, std::int64_t>(), py::arg("optimizer"),
             py::arg("start_factor") = 1.0 / 3.0, py::arg("end_factor") = 1.0, py::arg("total_iters") = 5,
             py::keep_alive<1, 2>());
    py::class_<O::LambdaLR, O::LRScheduler>(o, "LambdaLR")
        .def(py::init([](O::Optimizer& opt, py::function fn) {
            GilCallable call(std::move(fn));
            return std::make_unique<O::LambdaLR>(opt, [call](std::int64_t e) { return call.call(e).cast<double>(); });
        }), py::arg("optimizer"), py::arg("lr_lambda"), py::keep_alive<1, 2>());
    py::class_<O::WarmupCosineLR, O::LRScheduler>(o, "WarmupCosineLR")
        .def(py::init<O::Optimizer&, std::int64_t, std::int64_t, double>(), py::arg("optimizer"),
             py::arg("warmup_steps"), py::arg("max_steps"), py::arg("min_lr"), py::keep_alive<1, 2>())
        .def("set_max_steps", &O::WarmupCosineLR::set_max_steps, py::arg("max_steps"));
    py::class_<O::OneCycleLR, O::LRScheduler>(o, "OneCycleLR")
        .def(py::init([](O::Optimizer& opt, double max_lr, std::int64_t total, double pct, const std::string& strategy,
                         bool cycle, double base_m, double max_m, double div, double final_div, bool three) {
            PESO_CHECK(strategy == "cos" || strategy == "linear", ValueError,
                       "OneCycleLR: anneal_strategy must be 'cos' or 'linear', got '{}'", strategy);
            return std::make_unique<O::OneCycleLR>(
                opt, max_lr, total, O::OneCycleOptions{pct, strategy == "cos", cycle, base_m, max_m, div, final_div, three});
        }), py::arg("optimizer"), py::arg("max_lr"), py::arg("total_steps"), py::arg("pct_start") = 0.3,
            py::arg("anneal_strategy") = "cos", py::arg("cycle_momentum") = true, py::arg("base_momentum") = 0.85,
            py::arg("max_momentum") = 0.95, py::arg("div_factor") = 25.0, py::arg("final_div_factor") = 1e4,
            py::arg("three_phase") = false, py::keep_alive<1, 2>());
}

}  // namespace

void bind_optim(py::module_& m) {
    py::module_ o = m.def_submodule("_optim", "peso.optim's compiled part");
    bind_optimizer_base(o);
    bind_optimizers(o);
    bind_schedulers(o);
}

}  // namespace peso::python
