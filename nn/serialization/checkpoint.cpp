#include "nn/serialization/checkpoint.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

#include "nn/serialization/module_io.h"
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
        nlohmann::json meta = nlohmann::json::parse(it->second);
        PESO_CHECK(meta.is_object(), IOError, "{}: corrupted checkpoint metadata: not a JSON object", path);
        return meta;
    } catch (const nlohmann::json::exception& e) {
        throw IOError(fmt::format("{}: corrupted checkpoint metadata: {}", path, e.what()));
    }
}

CheckpointInfo checkpoint_info(const nlohmann::json& meta, const SafetensorsReader& reader, const std::string& path) {
    const bool has_model = std::any_of(reader.entries().begin(), reader.entries().end(),
                                       [](const SafetensorsEntry& e) { return e.name.starts_with(kModelPrefix); });
    try {
        return {meta.value("step", std::int64_t{0}), meta.value("extra", std::string()), has_model};
    } catch (const nlohmann::json::exception& e) {
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
    save_checkpoint(path, &model, optimizer, scheduler, step, extra_json);
}

void save_checkpoint(const std::string& path, const Module* model, const optim::Optimizer* optimizer,
                     const optim::LRScheduler* scheduler, std::int64_t step, const std::string& extra_json) {
    NamedTensors tensors;
    if (model)
        for (const auto& [name, t] : model->state_dict()) tensors.emplace_back(kModelPrefix + name, t);
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
    save_safetensors(path, tensors, {{kMetaKey, meta.dump()}, {"format", "pt"}, {"peso.step", std::to_string(step)}});
}

CheckpointInfo read_checkpoint_info(const std::string& path) {
    const SafetensorsReader reader(path);  // the header only: no tensor is read
    return checkpoint_info(parse_meta(reader.metadata(), path), reader, path);
}

CheckpointInfo load_checkpoint(const std::string& path, Module& model, optim::Optimizer* optimizer,
                               optim::LRScheduler* scheduler, bool restore_rng) {
    return load_checkpoint(path, &model, optimizer, scheduler, restore_rng);
}

CheckpointInfo load_checkpoint(const std::string& path, Module* model, optim::Optimizer* optimizer,
                               optim::LRScheduler* scheduler, bool restore_rng) {
    // The file is mapped and its header checked; the model's tensors are read
    // straight into the model once everything else has been checked, the
    // optimizer's become its state: no second copy of either.
    const SafetensorsReader reader(path);
    const auto meta = parse_meta(reader.metadata(), path);
    for (const SafetensorsEntry& e : reader.entries())
        PESO_CHECK(e.name.starts_with(kModelPrefix) || e.name.starts_with(kOptimPrefix), IOError,
                   "{}: unexpected tensor '{}' in a checkpoint", path, e.name);
    const CheckpointInfo info = checkpoint_info(meta, reader, path);
    try {
        // Check everything that can be checked before changing anything.
        optim::OptimizerState opt_state;
        if (optimizer) {
            PESO_CHECK(meta.contains("optimizer"), IOError, "{}: the checkpoint holds no optimizer state", path);
            const std::string type = meta.at("optimizer").at("type").get<std::string>();
            PESO_CHECK(type == optimizer->type_name(), IOError, "{}: checkpoint optimizer is {}, the run uses {}", path,
                       type, optimizer->type_name());
            opt_state.scalars = to_map(meta.at("optimizer").at("scalars"));
        }
        if (scheduler) {
            PESO_CHECK(meta.contains("scheduler"), IOError, "{}: the checkpoint holds no scheduler state", path);
            const std::string type = meta.at("scheduler").at("type").get<std::string>();
            PESO_CHECK(type == scheduler->type_name(), IOError, "{}: checkpoint scheduler is {}, the run uses {}",
                       path, type, scheduler->type_name());
        }
        // A failed load changes nothing: the model is checked first, the
        // scheduler (a few numbers) is restored if the optimizer then fails,
        // and the optimizer checks all its state before taking any; the
        // model's copy, all checked, comes last.
        if (model) model->check_state_dict(state_specs(reader, kModelPrefix), /*strict=*/true);
        std::optional<std::pair<std::uint64_t, std::uint64_t>> rng;
        if (restore_rng && meta.contains("rng"))
            rng.emplace(std::stoull(meta.at("rng").at("seed").get<std::string>()),
                        std::stoull(meta.at("rng").at("offset").get<std::string>()));
        const auto scheduler_before = scheduler ? scheduler->state_dict() : std::map<std::string, double>{};
        if (scheduler) scheduler->load_state_dict(to_map(meta.at("scheduler").at("state")));
        try {
            if (optimizer) {
                for (const SafetensorsEntry& e : reader.entries())
                    if (e.name.starts_with(kOptimPrefix))
                        opt_state.tensors.emplace_back(e.name.substr(std::strlen(kOptimPrefix)), reader.read(e));
                optimizer->load_state_dict(std::move(opt_state));
            }
        } catch (...) {
            if (scheduler) scheduler->load_state_dict(scheduler_before);
            throw;
        }
        if (model) read_module_state(reader, *model, kModelPrefix);
        if (rng) default_generator().set_state(rng->first, rng->second);
    } catch (const IOError&) {
        throw;
    } catch (const std::exception& e) {
        throw IOError(fmt::format("{}: {}", path, e.what()));
    }
    return info;
}

}  // namespace peso::nn
