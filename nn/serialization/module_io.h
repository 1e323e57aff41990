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

}  // namespace peso::nn
