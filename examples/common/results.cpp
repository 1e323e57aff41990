#include "examples/common/results.h"

#include <fmt/format.h>

#include <fstream>

#include "core/error.h"

namespace peso::examples {

Results::Results(std::filesystem::path out_dir) : file_(std::move(out_dir) / "results.txt") {}

void Results::record(const std::string& key, double value) const {
    PESO_CHECK(key.find_first_of(" \t\n") == std::string::npos, ValueError, "Results::record: key '{}' has spaces",
               key);
    fmt::print("  {} = {:.6g}\n", key, value);
    std::ofstream f(file_, std::ios::app);
    PESO_CHECK(f.good(), IOError, "cannot write {}", file_.string());
    f << key << ' ' << fmt::format("{:.9g}", value) << '\n';
}

}  // namespace peso::examples
