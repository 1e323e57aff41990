// compare_runs A B [RTOL]: whether two `peso gpt train` output directories
// hold the same run: every step's loss in train_log.csv within RTOL relative
// (default 1e-5), and every tensor of model.safetensors (parameters) and
// train_state.safetensors (optimizer moments) with max|a - b| <= RTOL * max|b|.
// Prints the largest differences seen; exit status 0 when they match, 1 otherwise.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "nn/serialization/safetensors.h"
#include "peso.h"

using namespace peso;

namespace {

std::map<long, double> losses(const std::string& dir) {
    std::ifstream in(dir + "/train_log.csv");
    PESO_CHECK(in.good(), IOError, "{}/train_log.csv: cannot read", dir);
    std::map<long, double> out;
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        std::istringstream ss(line);
        long step = 0;
        char comma = 0;
        double loss = 0;
        ss >> step >> comma >> loss;
        out[step] = loss;
    }
    return out;
}

double max_abs(const Tensor& t) { return native::amax(native::abs(t)).item<double>(); }

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: compare_runs DIR_A DIR_B [RTOL]\n");
        return 2;
    }
    const std::string a = argv[1], b = argv[2];
    const double rtol = argc > 3 ? std::atof(argv[3]) : 1e-5;
    int bad = 0;
    const auto la = losses(a), lb = losses(b);
    if (la.size() != lb.size() || la.empty()) {
        std::printf("train_log.csv: %zu steps in %s, %zu in %s\n", la.size(), a.c_str(), lb.size(), b.c_str());
        ++bad;
    }
    double worst_loss = 0;
    for (const auto& [step, l] : la) {
        auto it = lb.find(step);
        if (it == lb.end()) {
            std::printf("step %ld missing in %s\n", step, b.c_str());
            ++bad;
            continue;
        }
        const double rel = std::fabs(l - it->second) / std::fabs(it->second);
        worst_loss = std::max(worst_loss, rel);
        if (rel > rtol) {
            std::printf("step %ld: loss %.9g vs %.9g (relative %.2e)\n", step, l, it->second, rel);
            ++bad;
        }
    }
    double worst_tensor = 0;
    std::string worst_name;
    std::size_t tensors = 0;
    for (const std::string file : {"/model.safetensors", "/train_state.safetensors"}) {
        const auto ta = nn::load_safetensors(a + file).tensors;
        const auto tb = nn::load_safetensors(b + file).tensors;
        std::map<std::string, Tensor> mb(tb.begin(), tb.end());
        if (ta.size() != tb.size()) {
            std::printf("%s: %zu tensors vs %zu\n", file.c_str() + 1, ta.size(), tb.size());
            ++bad;
        }
        tensors += ta.size();
        for (const auto& [name, t] : ta) {
            auto it = mb.find(name);
            if (it == mb.end() || it->second.sizes() != t.sizes()) {
                std::printf("%s: missing or of another shape in %s\n", name.c_str(), b.c_str());
                ++bad;
                continue;
            }
            const Tensor da = native::to_dtype(t, DType::f64), db = native::to_dtype(it->second, DType::f64);
            const double scale = max_abs(db);
            const double rel = scale > 0 ? max_abs(native::sub(da, db)) / scale : max_abs(da);
            if (rel > worst_tensor) worst_tensor = rel, worst_name = name;
            if (rel > rtol) {
                std::printf("%s: max difference %.2e relative to its largest value\n", name.c_str(), rel);
                ++bad;
            }
        }
    }
    std::printf("%s vs %s: %zu losses (worst relative %.2e), %zu tensors (worst %.2e: %s): %s\n", a.c_str(),
                b.c_str(), la.size(), worst_loss, tensors, worst_tensor, worst_name.c_str(),
                bad ? "DIFFERENT" : "same");
    return bad ? 1 : 0;
}
