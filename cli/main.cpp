// peso: train, sample, evaluate and convert GPTs from the command line.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "cli/app.h"
#include "cli/flags.h"
#include "core/error.h"
#include "core/version.h"

int main(int argc, char** argv) {
    // A training step runs hundreds of short parallel loops; with libgomp's
    // default wait policy the threads fall asleep between them and waking
    // them costs more than the loops (measured: 136 vs 49 ms per step of a
    // small GPT on 2 cores). The policy is read when libgomp loads, so set it
    // and start again; a user's own OMP_WAIT_POLICY is left alone.
    if (std::getenv("OMP_WAIT_POLICY") == nullptr) {
        setenv("OMP_WAIT_POLICY", "active", 1);
        execv("/proc/self/exe", argv);  // returns only on failure: carry on as we are
    }
    const auto peso_app = peso::cli::make_peso_app();
    CLI::App& app = peso_app->app;
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        std::printf("%s\n", e.what());
        return 0;
    } catch (const CLI::ParseError& e) {
        // A mistyped command or flag is the likeliest cause: say which word, and what was meant.
        if (const auto unknown = peso::cli::explain_unknown(app, argc, argv))
            std::fprintf(stderr, "peso: error: %s\n", unknown->c_str());
        else
            std::fprintf(stderr, "peso: error: %s (see --help)\n", e.what());
        return 2;
    }
    try {
        for (auto& run : peso_app->runners)
            if (run) {
                const int rc = run();
                if (rc >= 0) return rc;
            }
    } catch (const peso::Error& e) {
        std::fprintf(stderr, "peso: error: %s\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "peso: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
