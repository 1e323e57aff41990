#pragma once
// A module's state_dict to and from a safetensors file.
#include <string>

#include "nn/module.h"
#include "nn/serialization/safetensors.h"

namespace peso::nn {

void save_module(const Module& module, const std::string& path, const Metadata& metadata = {});
// Loads into the module's parameters and buffers (see Module::load_state_dict
// for strict); errors name the file and the tensor. Returns the file's metadata.
Metadata load_module(Module& module, const std::string& path, bool strict = true);

// For loaders of files that hold a module among other things: the names,
// shapes and dtypes of the entries that start with `prefix` (prefix removed),
// for Module::check_state_dict; then those entries read into the module's
// tensors, one at a time (call after the check).
std::vector<Module::StateSpec> state_specs(const SafetensorsReader& reader, std::string_view prefix);
void read_module_state(const SafetensorsReader& reader, Module& module, std::string_view prefix);

}  // namespace peso::nn
