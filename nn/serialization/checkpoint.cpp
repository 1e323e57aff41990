#include "nn/serialization/checkpoint.h"

#include <cstring>
#include <nlohmann/json.hpp>

#include "nn/serialization/safetensors.h"

namespace peso::nn {

namespace {

constexpr const char* kMetaKey = "peso.checkpoint";
constexpr const char* kModelPrefix = "model.";
constexpr const char* kOptimPrefix = "optimizer.";

nlohmann::json parse_meta(const Metadata& meta, const std::string& path) {
    auto it = meta.find(kMetaKey);
    PESO_CHECK(it != meta.end(), IOError, "{}: not a peso training checkpoint (no '{}' metadata)", path, kMetaKey);
    try {
        return nlohmann::json::parse(it->second);
    } catch (const std::exception& e) {
        throw IOError(fmt::format("{}: corrupted checkpoint metadata: {}", path, e.what()));
    }
}

template <typename Map> nlohmann::json to_json(const Map& m) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [k, v] : m) j[k] = v;
    return j;
}

std::map<std::string, double> to_map(const nlohmann::json& j) {
    std::map<std::string, double> m;
    for (const auto& [k, v] : j.items()) m[k] = v.get<double>();
    return m;
}

}  // namespace

void save_checkpoint(const std::string& path, const Module& model, const optim::Optimizer* optimizer,
                     const optim::LRScheduler* scheduler, std::int64_t step, const std::string& extra_json) {
    NamedTensors tensors;
    for (const auto& [name, t] : model.state_dict()) tensors.emplace_back(kModelPrefix + name, t);
    nlohmann::json meta = {{"format", 1}, {"step", step}};
    if (optimizer) {
        for (const auto& [name, t] : optimizer->state_tensors()) tensors.emplace_back(kOptimPrefix + name, t);
        meta["optimizer"] = {{"type", optimizer->type_name()}, {"scalars", to_json(optimizer->state_scalars())}};
    }
    if (scheduler) meta["scheduler"] = {{"type", scheduler->type_name()}, {"state", to_json(scheduler->state_dict())}};
    // 64-bit values as strings: JSON numbers are doubles in many readers.
    meta["rng"] = {{"seed", std::to_string(default_generator().seed())},
                   {"offset", std::to_string(default_generator().offset())}};
    meta["extra"] = extra_json;
    save_safetensors(path, tensors, {{kMetaKey, meta.dump()}, {"format", "pt"}});
}

CheckpointInfo read_checkpoint_info(const std::string& path) {
    const auto content = load_safetensors(path);
    const auto meta = parse_meta(content.metadata, path);
    return {meta.value("step", std::int64_t{0}), meta.value("extra", std::string())};
}

CheckpointInfo load_checkpoint(const std::string& path, Module& model, optim::Optimizer* optimizer,
                               optim::LRScheduler* scheduler, bool restore_rng) {
    const auto content = load_safetensors(path);
    const auto meta = parse_meta(content.metadata, path);
    NamedTensors model_state;
    optim::OptimizerState opt_state;
    for (const auto& [name, t] : content.tensors) {
        if (name.rfind(kModelPrefix, 0) == 0) model_state.emplace_back(name.substr(std::strlen(kModelPrefix)), t);
        else if (name.rfind(kOptimPrefix, 0) == 0) opt_state.tensors.emplace_back(name.substr(std::strlen(kOptimPrefix)), t);
        else throw IOError(fmt::format("{}: unexpected tensor '{}' in a checkpoint", path, name));
    }
    try {
        // Check everything that can be checked before changing anything.
        if (optimizer) {
            PESO_CHECK(meta.contains("optimizer"), IOError, "{}: the checkpoint holds no optimizer state", path);
            const std::string type = meta["optimizer"]["type"].get<std::string>();
            PESO_CHECK(type == optimizer->type_name(), IOError, "{}: checkpoint optimizer is {}, the run uses {}", path,
                       type, optimizer->type_name());
            opt_state.scalars = to_map(meta["optimizer"]["scalars"]);
        }
        if (scheduler) {
            PESO_CHECK(meta.contains("scheduler"), IOError, "{}: the checkpoint holds no scheduler state", path);
            const std::string type = meta["scheduler"]["type"].get<std::string>();
            PESO_CHECK(type == scheduler->type_name(), IOError, "{}: checkpoint scheduler is {}, the run uses {}",
                       path, type, scheduler->type_name());
        }
        model.load_state_dict(model_state, /*strict=*/true);
        if (optimizer) optimizer->load_state_dict(opt_state);
        if (scheduler) scheduler->load_state_dict(to_map(meta["scheduler"]["state"]));
        if (restore_rng && meta.contains("rng"))
            default_generator().set_state(std::stoull(meta["rng"]["seed"].get<std::string>()),
                                          std::stoull(meta["rng"]["offset"].get<std::string>()));
    } catch (const IOError&) {
        throw;
    } catch (const std::exception& e) {
        throw IOError(fmt::format("{}: {}", path, e.what()));
    }
    return {meta.value("step", std::int64_t{0}), meta.value("extra", std::string())};
}

}  // namespace peso::nn
