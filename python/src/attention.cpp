// The C++ attention behind peso.nn: MultiheadAttention (and so the
// Transformer layers, which are Python compositions as in torch.nn),
// F.scaled_dot_product_attention (nn/scaled_dot_product_attention.h, the one
// seam a fused kernel plugs into), and the sinusoidal table of
// peso.nn.SinusoidalPositionalEncoding.
//
// The Python MultiheadAttention owns its Parameters (they can be replaced,
// moved, saved, hooked as any Python module's); it holds a C++
// nn::MultiheadAttention whose tensors start as those very Parameters, and
// each forward hands the current ones to it (a handle swap when the user
// replaced one) before one GIL-free call of the C++ forward.
#include "nn/attention.h"
#include "nn/positional.h"
#include "nn/scaled_dot_product_attention.h"
#include "python/src/args.h"

namespace peso::python {
namespace {

using nn::MultiheadAttention;

// The Python module's current parameters, as the C++ module's.
struct AttentionParams {
    Tensor in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias;
};

void adopt(nn::Module& m, const std::string& name, const Tensor& current, const Tensor& held) {
    PESO_CHECK(current.defined() == held.defined(), ValueError,
               "MultiheadAttention: '{}' cannot be added or removed after construction (bias={})", name,
               held.defined());
    if (current.defined() && !current.is_same(held)) m.replace_parameter(name, current);
}

void adopt(MultiheadAttention& m, const AttentionParams& p) {
    adopt(m, "in_proj_weight", p.in_proj_weight, m.in_proj_weight);
    adopt(m, "in_proj_bias", p.in_proj_bias, m.in_proj_bias);
    adopt(*m.out_proj, "weight", p.out_proj_weight, m.out_proj->weight);
    adopt(*m.out_proj, "bias", p.out_proj_bias, m.out_proj->bias);
}

Tensor opt(const std::optional<Tensor>& t) { return t.value_or(Tensor()); }

py::tuple forward(MultiheadAttention& m, const Tensor& query, const Tensor& key, const Tensor& value,
                  const AttentionParams& params, bool training, const std::optional<Tensor>& key_padding_mask,
                  bool need_weights, const std::optional<Tensor>& attn_mask, bool average_attn_weights,
                  bool is_causal) {
    nn::AttentionArgs args{opt(key_padding_mask), opt(attn_mask), is_causal, need_weights, average_attn_weights};
    // The C++ module changes under the GIL and only when the Python one did:
    // threads sharing a module in a steady state only read it.
    adopt(m, params);
    if (m.is_training() != training) m.train(training);
    nn::AttentionOutput out;
    {
        py::gil_scoped_release r;
        out = m.forward(query, key, value, args);
    }
    return py::make_tuple(out.output, out.weights.defined() ? py::cast(out.weights) : py::none());
}

}  // namespace

void bind_attention(py::module_& n) {
    py::class_<MultiheadAttention, std::shared_ptr<MultiheadAttention>>(n, "MultiheadAttention")
        // gen: null initializes from the default generator (as the Python
        // layers do); a private one leaves the default untouched (deepcopy).
        .def(py::init([](std::int64_t e, std::int64_t h, double p, bool bias, bool batch_first,
                         std::optional<DType> dtype, Generator* gen) {
            return std::make_shared<MultiheadAttention>(e, h, p, bias, batch_first, dtype.value_or(kDefaultDType), gen);
        }), py::arg("embed_dim"), py::arg("num_heads"), py::arg("dropout"), py::arg("bias"), py::arg("batch_first"),
            py::arg("dtype") = py::none(), py::arg("generator") = nullptr)
        .def_readonly("in_proj_weight", &MultiheadAttention::in_proj_weight)
        .def_property_readonly("in_proj_bias", [](const MultiheadAttention& m) -> py::object {
            return m.in_proj_bias.defined() ? py::cast(m.in_proj_bias) : py::none();
        })
        .def_property_readonly("out_proj_weight", [](const MultiheadAttention& m) { return m.out_proj->weight; })
        .def_property_readonly("out_proj_bias", [](const MultiheadAttention& m) -> py::object {
            return m.out_proj->bias.defined() ? py::cast(m.out_proj->bias) : py::none();
        })
        .def("forward", [](MultiheadAttention& m, const Tensor& q, const Tensor& k, const Tensor& v,
                           const Tensor& w_in, const std::optional<Tensor>& b_in, const Tensor& w_out,
                           const std::optional<Tensor>& b_out, bool training, const std::optional<Tensor>& kpm,
                           bool need_weights, const std::optional<Tensor>& mask, bool average, bool is_causal) {
            return forward(m, q, k, v, {w_in, opt(b_in), w_out, opt(b_out)}, training, kpm, need_weights, mask,
                           average, is_causal);
        });
    n.def("scaled_dot_product_attention", [](const Tensor& q, const Tensor& k, const Tensor& v,
                                              const std::optional<Tensor>& mask, double p, bool is_causal,
                                              std::optional<double> scale, Generator* gen) {
        return nn::functional::scaled_dot_product_attention(q, k, v, opt(mask), p, is_causal, scale, gen);
    }, py::arg("query"), py::arg("key"), py::arg("value"), py::arg("attn_mask") = py::none(),
       py::arg("dropout_p") = 0.0, py::arg("is_causal") = false, py::kw_only(), py::arg("scale") = py::none(),
       py::arg("generator") = nullptr, nogil());
    n.def("sinusoidal_table", [](std::int64_t d_model, std::int64_t max_len, std::optional<DType> dtype) {
        return std::make_shared<nn::SinusoidalPositionalEncoding>(d_model, max_len, 0.0, dtype.value_or(kDefaultDType))->pe;
    }, py::arg("d_model"), py::arg("max_len"), py::arg("dtype") = py::none(), nogil());
}

}  // namespace peso::python
