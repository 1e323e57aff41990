// peso._C.nn: the compiled side of peso.nn. The layers themselves are Python
// classes (peso/nn/modules.py) that call these, as torch.nn's do.
#include "nn/activations.h"
#include "nn/clip_grad.h"
#include "nn/cosine_similarity.h"
#include "nn/dropout.h"
#include "nn/embedding.h"
#include "nn/init.h"
#include "nn/layer_norm.h"
#include "nn/linear.h"
#include "nn/losses.h"
#include "nn/module.h"
#include "python/src/args.h"

namespace peso::python {
namespace {

namespace F = nn::functional;

nn::Reduction reduction(const std::string& r) {
    if (r == "mean") return nn::Reduction::Mean;
    if (r == "sum") return nn::Reduction::Sum;
    if (r == "none") return nn::Reduction::None;
    throw ValueError(fmt::format("reduction: expected 'mean', 'sum' or 'none', got '{}'", r));
}

Tensor opt(const std::optional<Tensor>& t) { return t.value_or(Tensor()); }

void bind_functional(py::module_& f) {
    f.def("linear", [](const Tensor& x, const Tensor& w, const std::optional<Tensor>& b) { return F::linear(x, w, opt(b)); },
          py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), nogil());
    f.def("dropout", [](const Tensor& x, double p, bool training, Generator* g) { return F::dropout(x, p, training, g); },
          py::arg("input"), py::arg("p") = 0.5, py::arg("training") = true, py::arg("generator") = nullptr, nogil());
    f.def("embedding", [](const Tensor& idx, const Tensor& w, std::optional<std::int64_t> pad) {
        return F::embedding(idx, w, pad); }, py::arg("input"), py::arg("weight"), py::arg("padding_idx") = py::none(),
        nogil());
    f.def("layer_norm", [](const Tensor& x, const Dims& shape, const std::optional<Tensor>& w,
                           const std::optional<Tensor>& b, double eps) { return F::layer_norm(x, shape, opt(w), opt(b), eps); },
          py::arg("input"), py::arg("normalized_shape"), py::arg("weight") = py::none(), py::arg("bias") = py::none(),
          py::arg("eps") = 1e-5, nogil());
    f.def("gelu", [](const Tensor& x, const std::string& a) { return gelu(x, a); }, py::arg("input"),
          py::arg("approximate") = "none", nogil());
    f.def("softplus", [](const Tensor& x, double beta, double th) { return softplus(x, beta, th); }, py::arg("input"),
          py::arg("beta") = 1.0, py::arg("threshold") = 20.0, nogil());
    f.def("cosine_similarity", [](const Tensor& a, const Tensor& b, std::int64_t d, double eps) {
        return F::cosine_similarity(a, b, d, eps); }, py::arg("x1"), py::arg("x2"), py::arg("dim") = 1,
        py::arg("eps") = 1e-8, nogil());
    f.def("mse_loss", [](const Tensor& x, const Tensor& y, const std::string& r) { return F::mse_loss(x, y, reduction(r)); },
          py::arg("input"), py::arg("target"), py::arg("reduction") = "mean", nogil());
    f.def("binary_cross_entropy", [](const Tensor& x, const Tensor& y, const std::optional<Tensor>& w,
                                     const std::string& r) { return F::binary_cross_entropy(x, y, opt(w), reduction(r)); },
          py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("reduction") = "mean", nogil());
    f.def("binary_cross_entropy_with_logits", [](const Tensor& x, const Tensor& y, const std::optional<Tensor>& w,
                                                 const std::string& r, const std::optional<Tensor>& pw) {
        return F::binary_cross_entropy_with_logits(x, y, opt(w), reduction(r), opt(pw));
    }, py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("reduction") = "mean",
       py::arg("pos_weight") = py::none(), nogil());
    f.def("nll_loss", [](const Tensor& x, const Tensor& y, const std::optional<Tensor>& w, std::int64_t ignore,
                         const std::string& r) {
        return F::nll_loss(x, y, nn::NLLLossOptions{opt(w), ignore, reduction(r)});
    }, py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("ignore_index") = -100,
       py::arg("reduction") = "mean", nogil());
    f.def("cross_entropy", [](const Tensor& x, const Tensor& y, const std::optional<Tensor>& w, std::int64_t ignore,
                              const std::string& r, double smoothing) {
        return F::cross_entropy(x, y, nn::CrossEntropyLossOptions{opt(w), ignore, reduction(r), smoothing});
    }, py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("ignore_index") = -100,
       py::arg("reduction") = "mean", py::arg("label_smoothing") = 0.0, nogil());
}

nn::init::FanMode fan_mode(const std::string& m) {
    if (m == "fan_in") return nn::init::FanMode::FanIn;
    if (m == "fan_out") return nn::init::FanMode::FanOut;
    throw ValueError(fmt::format("init: mode must be 'fan_in' or 'fan_out', got '{}'", m));
}

void bind_init(py::module_& i) {
    namespace I = nn::init;
    i.def("calculate_gain", [](const std::string& n, std::optional<double> p) { return I::calculate_gain(n, p); },
          py::arg("nonlinearity"), py::arg("param") = py::none());
    i.def("_calculate_fan_in_and_fan_out", &I::calculate_fan_in_and_fan_out);
    i.def("uniform_", [](const Tensor& t, double a, double b, Generator* g) { return I::uniform_(t, a, b, g); },
          py::arg("tensor"), py::arg("a") = 0.0, py::arg("b") = 1.0, py::arg("generator") = nullptr, nogil());
    i.def("normal_", [](const Tensor& t, double m, double s, Generator* g) { return I::normal_(t, m, s, g); },
          py::arg("tensor"), py::arg("mean") = 0.0, py::arg("std") = 1.0, py::arg("generator") = nullptr, nogil());
    i.def("constant_", &I::constant_, py::arg("tensor"), py::arg("val"), nogil());
    i.def("zeros_", &I::zeros_, py::arg("tensor"), nogil());
    i.def("ones_", &I::ones_, py::arg("tensor"), nogil());
    i.def("xavier_uniform_", [](const Tensor& t, double gain, Generator* g) { return I::xavier_uniform_(t, gain, g); },
          py::arg("tensor"), py::arg("gain") = 1.0, py::arg("generator") = nullptr, nogil());
    i.def("xavier_normal_", [](const Tensor& t, double gain, Generator* g) { return I::xavier_normal_(t, gain, g); },
          py::arg("tensor"), py::arg("gain") = 1.0, py::arg("generator") = nullptr, nogil());
    i.def("kaiming_uniform_", [](const Tensor& t, double a, const std::string& mode, const std::string& nl,
                                 Generator* g) { return I::kaiming_uniform_(t, a, fan_mode(mode), nl, g); },
          py::arg("tensor"), py::arg("a") = 0.0, py::arg("mode") = "fan_in", py::arg("nonlinearity") = "leaky_relu",
          py::arg("generator") = nullptr, nogil());
    i.def("kaiming_normal_", [](const Tensor& t, double a, const std::string& mode, const std::string& nl,
                                Generator* g) { return I::kaiming_normal_(t, a, fan_mode(mode), nl, g); },
          py::arg("tensor"), py::arg("a") = 0.0, py::arg("mode") = "fan_in", py::arg("nonlinearity") = "leaky_relu",
          py::arg("generator") = nullptr, nogil());
}

}  // namespace

void bind_nn(py::module_& m) {
    py::module_ n = m.def_submodule("_nn", "peso.nn's compiled part");
    bind_functional(n);
    bind_init(n);
    bind_attention(n);
    n.def("clip_grad_norm_", [](const std::vector<Tensor>& ps, double max_norm, double norm_type, bool nonfinite) {
        return nn::clip_grad_norm_(ps, max_norm, norm_type, nonfinite);
    }, py::arg("parameters"), py::arg("max_norm"), py::arg("norm_type") = 2.0,
       py::arg("error_if_nonfinite") = false, nogil());
    n.def("clip_grad_value_", &nn::clip_grad_value_, py::arg("parameters"), py::arg("clip_value"), nogil());
    // t's data replaced in place by value's (Module.to(), Tensor.data = ...).
    n.def("assign_data", &nn::assign_data, nogil());
}

}  // namespace peso::python
