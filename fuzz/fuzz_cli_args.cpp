// Arbitrary argument vectors (the input split at NUL bytes) parsed by the
// `peso` command line; nothing is run. A parse either succeeds or throws one
// of CLI11's parse errors (what main() turns into "peso: error: ...", exit 2).
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "cli/app.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<std::string> args{"peso"};
    std::string cur;
    for (std::size_t i = 0; i < size && args.size() < 64; ++i) {
        if (data[i] == 0) {
            args.push_back(cur);
            cur.clear();
        } else {
            cur += static_cast<char>(data[i]);
        }
    }
    if (!cur.empty()) args.push_back(cur);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    const auto app = peso::cli::make_peso_app();
    try {
        app->app.parse(static_cast<int>(argv.size()), argv.data());
    } catch (const CLI::ParseError&) {
    }
    return 0;
}
