#include "cli/app.h"

#include <string>

#include "core/version.h"

namespace peso::cli {

std::unique_ptr<PesoApp> make_peso_app() {
    auto p = std::make_unique<PesoApp>();
    p->app.require_subcommand(1);
    // A flag given twice takes its last value, so a command line can be extended to override one.
    p->app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    p->app.set_version_flag("--version", std::string("peso ") + peso::version());
    CLI::App* gpt = p->app.add_subcommand("gpt", "train, sample, evaluate and convert GPT models");
    gpt->require_subcommand(1);
    p->runners = {add_gpt_train(*gpt), add_gpt_sample(*gpt), add_gpt_eval(*gpt), add_gpt_convert(*gpt)};
    return p;
}

}  // namespace peso::cli
