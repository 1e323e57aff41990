// peso._C._models: C++ modules seen from Python (the GPT and its config, any
// nn::Module's parameters, training mode and device), the tokenizers,
// generate(), and safetensors files for peso.save / peso.load.
#include "models/gpt/generation.h"
#include "models/gpt/gpt.h"
#include "nn/serialization/safetensors.h"
#include "nn/tokenizers/bpe_tokenizer.h"
#include "nn/tokenizers/char_tokenizer.h"
#include "python/src/args.h"

namespace peso::python {
namespace {

using models::Gpt;
using models::GptConfig;

void bind_module_base(py::module_& x) {
    py::class_<nn::Module, std::shared_ptr<nn::Module>>(x, "CppModule")
        .def("named_parameters", [](const nn::Module& m) { return m.named_parameters(); })
        .def("named_buffers", [](const nn::Module& m) { return m.named_buffers(); })
        .def("state_dict", &nn::Module::state_dict)
        .def("load_state_dict", &nn::Module::load_state_dict, py::arg("state_dict"), py::arg("strict") = true, nogil())
        .def("train", &nn::Module::train, py::arg("mode") = true)
        .def("is_training", &nn::Module::is_training)
        .def("to_device", [](nn::Module& m, Device d) { m.to(d); }, nogil())
        .def("to_dtype", [](nn::Module& m, DType t) { m.to(t); }, nogil())
        .def("num_parameters", &nn::Module::num_parameters, py::arg("only_trainable") = false)
        .def("__repr__", &nn::Module::str);
}

void bind_gpt(py::module_& x) {
    py::class_<GptConfig>(x, "GPTConfig")
        .def(py::init([](std::int64_t n_layer, std::int64_t n_head, std::int64_t n_embd, std::int64_t block_size,
                         std::int64_t vocab_size, double dropout, bool bias) {
            GptConfig c{n_layer, n_head, n_embd, block_size, vocab_size, dropout, bias};
            c.validate();
            return c;
        }), py::kw_only(), py::arg("n_layer") = 12, py::arg("n_head") = 12, py::arg("n_embd") = 768,
            py::arg("block_size") = 1024, py::arg("vocab_size") = 50257, py::arg("dropout") = 0.0,
            py::arg("bias") = true)
        .def_static("preset", &GptConfig::preset, py::arg("name"), py::arg("vocab_size"), py::arg("block_size") = 1024)
        .def_readwrite("n_layer", &GptConfig::n_layer)
        .def_readwrite("n_head", &GptConfig::n_head)
        .def_readwrite("n_embd", &GptConfig::n_embd)
        .def_readwrite("block_size", &GptConfig::block_size)
        .def_readwrite("vocab_size", &GptConfig::vocab_size)
        .def_readwrite("dropout", &GptConfig::dropout)
        .def_readwrite("bias", &GptConfig::bias)
        .def("to_json", &GptConfig::to_json)
        .def("__repr__", &GptConfig::to_json);
    py::class_<Gpt, nn::Module, std::shared_ptr<Gpt>>(x, "GPT")
        .def(py::init([](const GptConfig& c, Generator* g) { return std::make_shared<Gpt>(c, g); }), py::arg("config"),
             py::arg("generator") = nullptr)
        .def("forward", [](const Gpt& m, const Tensor& idx, const std::optional<Tensor>& targets) {
            models::GptOutput out;
            {
                py::gil_scoped_release r;
                out = m.forward(idx, targets.value_or(Tensor()));
            }
            return py::make_tuple(out.logits, out.loss.defined() ? py::cast(out.loss) : py::none());
        }, py::arg("idx"), py::arg("targets") = py::none())
        .def("optimizer_groups", [](const Gpt& m, double wd) {
            std::vector<std::pair<std::vector<Tensor>, nn::optim::Options>> out;
            for (const auto& g : m.optimizer_groups(wd)) out.emplace_back(g.params, g.options);
            return out;
        })
        .def_property_readonly("config", &Gpt::config)
        .def("generate", [](Gpt& m, const std::vector<std::int64_t>& prompt, std::int64_t n, double temperature,
                            std::optional<std::int64_t> top_k, std::optional<double> top_p, std::uint64_t seed,
                            std::optional<std::int64_t> stop) {
            models::SamplingOptions o{n, temperature, top_k, top_p, seed, stop};
            py::gil_scoped_release r;
            return models::generate(m, prompt, o);
        }, py::arg("prompt"), py::arg("max_new_tokens"), py::arg("temperature") = 1.0, py::arg("top_k") = py::none(),
           py::arg("top_p") = py::none(), py::arg("seed") = 1337, py::arg("stop_token") = py::none());
}

void bind_tokenizers(py::module_& x) {
    py::class_<nn::Tokenizer>(x, "Tokenizer")
        .def("encode", [](const nn::Tokenizer& t, const std::string& s) { return t.encode(s); })
        .def("decode", [](const nn::Tokenizer& t, const std::vector<int>& ids) { return t.decode(ids); })
        .def_property_readonly("vocab_size", &nn::Tokenizer::vocab_size)
        .def("to_json", &nn::Tokenizer::to_json);
    py::class_<nn::CharTokenizer, nn::Tokenizer>(x, "CharTokenizer")
        .def_static("from_text", &nn::CharTokenizer::from_text)
        .def_static("load", [](const std::string& p) { return nn::CharTokenizer::load(p); })
        .def("save", [](const nn::CharTokenizer& t, const std::string& p) { t.save(p); });
    py::class_<nn::Gpt2Tokenizer, nn::Tokenizer>(x, "GPT2Tokenizer")
        .def_static("load", [](const std::optional<std::string>& dir) {
            return dir ? nn::Gpt2Tokenizer::load(*dir) : nn::Gpt2Tokenizer::load();
        }, py::arg("dir") = py::none());
}

}  // namespace

void bind_models(py::module_& m) {
    py::module_ x = m.def_submodule("_models", "peso.models' compiled part");
    bind_module_base(x);
    bind_gpt(x);
    bind_tokenizers(x);
    m.def("_save_safetensors", [](const nn::NamedTensors& ts, const std::string& path, const nn::Metadata& meta) {
        nn::save_safetensors(path, ts, meta);
    }, py::arg("tensors"), py::arg("path"), py::arg("metadata") = nn::Metadata{}, nogil());
    m.def("_load_safetensors", [](const std::string& path) {
        nn::SafetensorsContent c;
        {
            py::gil_scoped_release r;
            c = nn::load_safetensors(path);
        }
        return py::make_tuple(c.tensors, c.metadata);
    });
}

}  // namespace peso::python
