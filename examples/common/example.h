#pragma once
// What every chapter program shares: the common flags (--device, --seed,
// --steps, --out), one-line errors with a non-zero exit, and a results file
// that the `examples` ctests read to check what the program learned.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "core/device.h"

namespace peso::examples {

struct ExampleOptions {
    std::string device = "cpu";
    std::uint64_t seed = 1337;
    std::int64_t steps = 1000;
    std::string out;  // defaults to out/<program name>
};

struct ExampleInfo {
    std::string name;         // e.g. "logistic_regression"; also the default output folder
    std::string description;  // one line for --help
};

// Parses the shared flags plus those `add_flags` registers on the app, seeds
// peso's default generator, creates the output folder, then runs `body`. Any
// peso or std exception becomes "<name>: error: <what>" on stderr and exit 1.
int run_example(int argc, char** argv, const ExampleInfo& info, ExampleOptions defaults,
                const std::function<void(CLI::App&)>& add_flags,
                const std::function<void(const ExampleOptions&)>& body);

// The device named by --device, checked to be usable (a clear error if this
// build has no backend for it).
Device example_device(const ExampleOptions& opts);

}  // namespace peso::examples
