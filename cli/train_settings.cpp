#include "cli/train_settings.h"

#include <nlohmann/json.hpp>
#include <variant>

#include "core/error.h"

namespace peso::cli {

namespace {

using Member = std::variant<std::string TrainArgs::*, std::int64_t TrainArgs::*, double TrainArgs::*,
                            bool TrainArgs::*, std::uint64_t TrainArgs::*>;

struct Setting {
    const char* flag;
    Member member;
    bool fixed;  // changing it on --resume would make another run
};

// --device, --threads, --quiet, --max-time, --stop-at, --zero, --dist-timeout, --cache-dir and
// --checkpoint-activations are per invocation: they change how, not what, is computed.
const Setting kSettings[] = {
    {"--data", &TrainArgs::data, false},
    {"--tokenizer", &TrainArgs::tokenizer, true},
    {"--preset", &TrainArgs::preset, true},
    {"--init-from", &TrainArgs::init_from, true},
    {"--optimizer", &TrainArgs::optimizer, true},
    {"--batch-order", &TrainArgs::batch_order, true},
    {"--n-layer", &TrainArgs::n_layer, true},
    {"--n-head", &TrainArgs::n_head, true},
    {"--n-embd", &TrainArgs::n_embd, true},
    {"--block-size", &TrainArgs::block_size, true},
    {"--batch", &TrainArgs::batch, true},
    {"--grad-accum", &TrainArgs::grad_accum, true},
    {"--warmup", &TrainArgs::warmup, true},
    {"--lr", &TrainArgs::lr, true},
    {"--min-lr", &TrainArgs::min_lr, true},
    {"--weight-decay", &TrainArgs::weight_decay, true},
    {"--beta1", &TrainArgs::beta1, true},
    {"--beta2", &TrainArgs::beta2, true},
    {"--grad-clip", &TrainArgs::grad_clip, true},
    {"--dropout", &TrainArgs::dropout, true},
    {"--bias", &TrainArgs::bias, true},
    {"--seed", &TrainArgs::seed, true},
    {"--steps", &TrainArgs::steps, false},
    {"--eval-every", &TrainArgs::eval_every, false},
    {"--eval-batches", &TrainArgs::eval_batches, false},
    {"--log-every", &TrainArgs::log_every, false},
};

std::string show(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

}  // namespace

std::string run_settings_json(const TrainArgs& a) {
    nlohmann::ordered_json j;
    for (const Setting& s : kSettings) {
        std::visit([&](auto m) { j[s.flag] = a.*m; }, s.member);
        // The values used, not "auto".
        if (std::string(s.flag) == "--warmup") j[s.flag] = a.warmup_steps();
        if (std::string(s.flag) == "--min-lr") j[s.flag] = a.final_lr();
    }
    return j.dump();
}

void restore_run_settings(TrainArgs& a, const std::string& json) {
    const auto j = nlohmann::json::parse(json, nullptr, false);
    PESO_CHECK(j.is_object(), IOError, "--resume: the run's saved settings are unreadable");
    for (const Setting& s : kSettings) {
        if (!j.contains(s.flag)) continue;
        const nlohmann::json& saved = j.at(s.flag);
        std::visit(
            [&](auto m) {
                using T = std::remove_reference_t<decltype(a.*m)>;
                const T old = saved.get<T>();
                if (!a.was_given(s.flag)) {
                    a.*m = old;
                } else if (s.fixed && a.*m != old) {
                    throw ValueError(fmt::format(
                        "{} {} conflicts with the run being resumed, which has {} {} (leave it out to continue "
                        "the run, or start a new one in another --out)",
                        s.flag, show(nlohmann::json(a.*m)), s.flag, show(saved)));
                }
            },
            s.member);
    }
}

}  // namespace peso::cli
