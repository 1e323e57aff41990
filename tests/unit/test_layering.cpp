// The layering rule (cli -> models -> nn -> distributed -> tensor -> backends -> core,
// nn -> autograd -> tensor), checked on the sources: a lower layer never
// includes a higher one; above the tensor layer nothing names a particular
// backend (ops reach backends through tensor/ and the Backend interface);
// only the CUDA backend's emulated build sees the emulator (tools/); the
// flagship GPT does not lean on the guide's chapter models; and the
// tensor layer never calls the Tensor methods that dispatch to the autograd
// layer (it uses peso::native functions), so its ops never record graphs.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> sources(const std::string& dir) {
    std::vector<fs::path> out;
    const fs::path root = fs::path(PESO_SOURCE_DIR) / dir;
    if (!fs::exists(root)) return out;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        const auto ext = e.path().extension().string();
        if (ext == ".h" || ext == ".cpp" || ext == ".cu" || ext == ".cuh") out.push_back(e.path());
    }
    return out;
}

std::string read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Drops // comments so that prose mentioning a method does not count.
std::string strip_comments(const std::string& s) { return std::regex_replace(s, std::regex("//[^\n]*"), ""); }

}  // namespace

TEST_CASE("lower layers never include higher ones") {
    const std::map<std::string, std::vector<std::string>> forbidden = {
        {"core", {"backends/", "tensor/", "autograd/", "distributed/", "nn/", "models/", "cli/", "tools/"}},
        {"backends/cpu", {"tensor/", "autograd/", "distributed/", "nn/", "models/", "cli/", "tools/"}},
        {"backends/reference", {"tensor/", "autograd/", "distributed/", "nn/", "models/", "cli/", "tools/"}},
        {"backends/cuda", {"tensor/", "autograd/", "distributed/", "nn/", "models/", "cli/"}},
        {"tensor", {"autograd/", "distributed/", "nn/", "models/", "cli/", "tools/"}},
        {"autograd", {"distributed/", "nn/", "models/", "cli/", "tools/", "backends/cpu/", "backends/cuda/",
                      "backends/reference/"}},
        // distributed/ sits beside nn: it moves tensors between processes and knows nothing of graphs.
        {"distributed", {"autograd/", "nn/", "models/", "cli/", "tools/", "backends/cpu/", "backends/reference/"}},
        {"nn", {"models/", "cli/", "tools/", "backends/cpu/", "backends/cuda/", "backends/reference/"}},
        {"models", {"cli/", "tools/", "backends/cpu/", "backends/cuda/", "backends/reference/"}},
        {"models/gpt", {"models/guide/"}},
    };
    const std::regex include_re("#include \"([^\"]+)\"");
    int files = 0;
    for (const auto& rule : forbidden) {
        const auto& layer = rule.first;
        const auto& bad = rule.second;
        for (const fs::path& p : sources(layer)) {
            ++files;
            const std::string text = read(p);
            for (std::sregex_iterator it(text.begin(), text.end(), include_re), end; it != end; ++it) {
                const std::string inc = (*it)[1];
                for (const std::string& b : bad)
                    CHECK_MESSAGE(inc.rfind(b, 0) != 0, p.string(), " (", layer, "/) includes ", inc);
            }
        }
    }
    CHECK(files > 30);
}

TEST_CASE("the tensor layer calls native ops, not Tensor methods that reach autograd") {
    const std::regex method_re(
        "\\.(view|reshape|permute|transpose|t|narrow|slice|select|expand|expand_as|broadcast_to|squeeze|unsqueeze|"
        "flatten|unflatten|as_strided|contiguous|clone|to|zero_|fill_|copy_|add_|sub_|mul_|div_|clamp_|masked_fill_|"
        "uniform_|normal_|index_add_|scatter_|scatter_add_|add|sub|mul|div|pow|neg|abs|exp|log|sqrt|tanh|sigmoid|"
        "relu|matmul|mm|sum|mean|max|min|argmax|softmax|log_softmax|masked_fill|backward|requires_grad_)\\(");
    for (const fs::path& p : sources("tensor")) {
        if (p.filename() == "tensor.h") continue;  // declares them
        // Backend primitives share some names (backend_for(d).matmul(...)): not Tensor methods.
        const std::string text =
            std::regex_replace(strip_comments(read(p)), std::regex("backend_for\\([^;]*?\\)\\.\\w+\\("), "");
        std::smatch m;
        const bool found = std::regex_search(text, m, method_re);
        CHECK_MESSAGE(!found, p.string(), " calls Tensor method ", (found ? m.str() : std::string()),
                      ": use the peso::native function instead");
    }
}
