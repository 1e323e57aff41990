#pragma once
// The numbers a program learned, printed and appended to OUT/results.txt as
// "key value" lines. tests/examples/run_example.sh checks them against
// thresholds, so a broken model fails its ctest.
#include <filesystem>
#include <string>

namespace peso::examples {

class Results {
public:
    explicit Results(std::filesystem::path out_dir);
    void record(const std::string& key, double value) const;

private:
    std::filesystem::path file_;
};

}  // namespace peso::examples
