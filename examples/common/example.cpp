#include "examples/common/example.h"

#include <cstdio>
#include <exception>

#include "peso.h"

namespace peso::examples {

namespace fs = std::filesystem;

int run_example(int argc, char** argv, const ExampleInfo& info, ExampleOptions defaults,
                const std::function<void(CLI::App&)>& add_flags,
                const std::function<void(const ExampleOptions&)>& body) {
    CLI::App app(info.description, info.name);
    ExampleOptions opts = std::move(defaults);
    if (opts.out.empty()) opts.out = "out/" + info.name;
    app.add_option("--device", opts.device, "cpu, cuda or cuda:N")->capture_default_str();
    app.add_option("--seed", opts.seed, "random seed")->capture_default_str();
    app.add_option("--steps", opts.steps, "training steps")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--out", opts.out, "folder for plots, data and results")->capture_default_str();
    if (add_flags) add_flags(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "%s: error: %s\n", info.name.c_str(), e.what());
        return 2;
    }
    try {
        fs::create_directories(opts.out);
        fs::remove(fs::path(opts.out) / "results.txt");
        manual_seed(opts.seed);
        body(opts);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: error: %s\n", info.name.c_str(), e.what());
        return 1;
    }
    return 0;
}

Device example_device(const ExampleOptions& opts) {
    const Device device = Device::parse(opts.device);
    // Allocating one element surfaces a missing backend as a clear error now,
    // not in the middle of training.
    (void)zeros({1}, TensorOptions().device(device));
    return device;
}

}  // namespace peso::examples
