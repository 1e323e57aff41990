#include "models/gpt/weights_file.h"

#include <algorithm>

#include "nn/serialization/module_io.h"

namespace peso::models {

namespace {
constexpr const char* kHead = "lm_head.weight";
constexpr const char* kWte = "transformer.wte.weight";
}  // namespace

void save_gpt_weights(const std::string& path, const nn::NamedTensors& state, const nn::Metadata& metadata) {
    nn::NamedTensors tensors;
    for (const auto& [name, t] : state)
        if (name != kHead) tensors.emplace_back(name, t);
    nn::save_safetensors(path, tensors, metadata);
}

nn::Metadata load_gpt_weights(Gpt& model, const std::string& path) {
    const nn::SafetensorsReader reader(path);
    try {
        std::vector<nn::Module::StateSpec> specs = nn::state_specs(reader, "");
        const auto find = [&](const char* name) {
            return std::find_if(reader.entries().begin(), reader.entries().end(),
                                [&](const nn::SafetensorsEntry& e) { return e.name == name; });
        };
        const auto head = find(kHead), wte = find(kWte);
        if (head == reader.entries().end()) {
            // The head comes with wte (one tensor); the check below wants every key of the state_dict.
            if (wte != reader.entries().end()) specs.push_back({kHead, wte->shape, wte->dtype});
        } else {
            // An older peso file stores the head beside wte: accepted when it is the same tensor, so that
            // loading it gives exactly the model that was saved (it is read last, over wte).
            PESO_CHECK(wte == reader.entries().end() || reader.same_data(*head, *wte), IOError,
                       "lm_head.weight differs from {}, but the GPT ties them", kWte);
        }
        model.check_state_dict(specs, /*strict=*/true);
        nn::read_module_state(reader, model, "");
    } catch (const Error& e) {
        throw IOError(fmt::format("{}: {}", path, e.what()));
    }
    return reader.metadata();
}

}  // namespace peso::models
