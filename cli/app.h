#pragma once
// The `peso` command line as an object: main() parses argv with it and runs
// the chosen subcommand; the CLI fuzz target (fuzz/) parses arbitrary
// argument vectors with it without running anything.
#include <memory>
#include <vector>

#include "cli/commands.h"

namespace peso::cli {

struct PesoApp {
    CLI::App app{"peso: a small, fast autodiff engine and GPT trainer", "peso"};
    std::vector<Runner> runners;  // one per subcommand group; runs the parsed one
};

std::unique_ptr<PesoApp> make_peso_app();

}  // namespace peso::cli
