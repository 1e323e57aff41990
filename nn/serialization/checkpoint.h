#pragma once
// A training checkpoint: model + optimizer + LR scheduler + random generator
// state + step (+ any JSON the caller adds, e.g. a config or a tokenizer), in
// one safetensors file written atomically: a crash while saving leaves the
// previous checkpoint intact. Loading it and continuing gives, on CPU, the
// same losses bit for bit as never having stopped.
#include <cstdint>
#include <string>

#include "nn/module.h"
#include "nn/optim/lr_scheduler.h"
#include "nn/optim/optimizer.h"

namespace peso::nn {

struct CheckpointInfo {
    std::int64_t step = 0;
    std::string extra_json;  // what the caller stored, verbatim
    bool has_model = true;   // false: saved without the model's tensors (they live in another file)
};

// The step is also stored as the file's "peso.step" metadata (a string), as in
// a weights file saved with it: a loader can tell whether the two belong together.
void save_checkpoint(const std::string& path, const Module& model, const optim::Optimizer* optimizer,
                     const optim::LRScheduler* scheduler, std::int64_t step, const std::string& extra_json = "");
// model nullptr: the model's tensors are not stored (the caller saves them in
// a weights file of their own, once); the rest as above.
void save_checkpoint(const std::string& path, const Module* model, const optim::Optimizer* optimizer,
                     const optim::LRScheduler* scheduler, std::int64_t step, const std::string& extra_json = "");

// Restores into existing objects built the same way (same architecture,
// same parameter groups). Pass nullptr for parts to skip. Throws IOError
// naming the file and what does not match.
CheckpointInfo load_checkpoint(const std::string& path, Module& model, optim::Optimizer* optimizer,
                               optim::LRScheduler* scheduler, bool restore_rng = true);
// model nullptr: the model's tensors, if the file holds any, are not read.
CheckpointInfo load_checkpoint(const std::string& path, Module* model, optim::Optimizer* optimizer,
                               optim::LRScheduler* scheduler, bool restore_rng = true);

// Reads only the step and extra JSON (e.g. to rebuild the model first).
CheckpointInfo read_checkpoint_info(const std::string& path);

}  // namespace peso::nn
