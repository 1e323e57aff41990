#include "nn/serialization/module_io.h"

namespace peso::nn {

void save_module(const Module& module, const std::string& path, const Metadata& metadata) {
    save_safetensors(path, module.state_dict(), metadata);
}

Metadata load_module(Module& module, const std::string& path, bool strict) {
    SafetensorsContent content = load_safetensors(path);
    try {
        module.load_state_dict(content.tensors, strict);
    } catch (const Error& e) {
        throw IOError(fmt::format("{}: {}", path, e.what()));
    }
    return content.metadata;
}

}  // namespace peso::nn
