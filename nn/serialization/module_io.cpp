#include "nn/serialization/module_io.h"

namespace peso::nn {

void save_module(const Module& module, const std::string& path, const Metadata& metadata) {
    save_safetensors(path, module.state_dict(), metadata);
}

std::vector<Module::StateSpec> state_specs(const SafetensorsReader& reader, std::string_view prefix) {
    std::vector<Module::StateSpec> out;
    for (const SafetensorsEntry& e : reader.entries())
        if (e.name.starts_with(prefix)) out.push_back({e.name.substr(prefix.size()), e.shape, e.dtype});
    return out;
}

void read_module_state(const SafetensorsReader& reader, Module& module, std::string_view prefix) {
    std::map<std::string, const SafetensorsEntry*> by_name;
    for (const SafetensorsEntry& e : reader.entries())
        if (e.name.starts_with(prefix)) by_name.emplace(e.name.substr(prefix.size()), &e);
    for (auto& [name, t] : module.state_dict()) {
        const auto it = by_name.find(name);
        if (it == by_name.end()) continue;  // not strict, and checked so
        Tensor dst = t;
        reader.read_into(*it->second, dst);
    }
}

Metadata load_module(Module& module, const std::string& path, bool strict) {
    const SafetensorsReader reader(path);
    try {
        // Names, shapes and dtypes from the header first: a file that does not
        // fit changes nothing; then each tensor straight into its parameter.
        module.check_state_dict(state_specs(reader, ""), strict);
        read_module_state(reader, module, "");
    } catch (const Error& e) {
        throw IOError(fmt::format("{}: {}", path, e.what()));
    }
    return reader.metadata();
}

}  // namespace peso::nn
