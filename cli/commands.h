#pragma once
// The `peso gpt` subcommands. Each registers its flags on a CLI11 subcommand
// and runs when that subcommand was chosen.
#include <CLI/CLI.hpp>
#include <functional>

namespace peso::cli {

using Runner = std::function<int()>;

Runner add_gpt_train(CLI::App& gpt);
Runner add_gpt_sample(CLI::App& gpt);
Runner add_gpt_eval(CLI::App& gpt);
Runner add_gpt_convert(CLI::App& gpt);  // import and export

}  // namespace peso::cli
