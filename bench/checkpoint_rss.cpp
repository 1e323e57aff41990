// peso_checkpoint_rss: the peak memory (VmHWM) that saving and loading a
// GPT-2 124M training checkpoint (weights + AdamW moments + scheduler) adds
// to a process, as bench/README.md reports it (issue 13's targets: saving
// adds at most 64 MB; loading needs at most the model's own memory + 64 MB).
//   peso_checkpoint_rss save FILE   build the model, give AdamW its state, save
//   peso_checkpoint_rss load FILE   build the model and optimizer, load FILE
#include <cstdio>
#include <fstream>
#include <string>

#include "backends/host_allocator.h"
#include "models/gpt/gpt.h"
#include "nn/optim/adam.h"
#include "nn/optim/lr_scheduler.h"
#include "nn/serialization/checkpoint.h"

using namespace peso;

namespace {

// Resident and peak resident memory (MB) from /proc/self/status.
double status_mb(const std::string& key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key + ":", 0) == 0) return std::stod(line.substr(key.size() + 1)) / 1024.0;
    return -1;
}

// Starts a new peak: the kernel's peak RSS becomes the current RSS.
void reset_peak() { std::ofstream("/proc/self/clear_refs") << "5"; }

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: peso_checkpoint_rss save|load FILE\n");
        return 2;
    }
    const std::string mode = argv[1], file = argv[2];
    models::GptConfig c = models::GptConfig::preset("gpt2", 50304, 1024);
    models::Gpt model(c);
    nn::optim::AdamW opt(model.optimizer_groups(0.1), {});
    nn::optim::WarmupCosineLR sched(opt, 10, 100, 1e-5);
    if (mode == "save") {
        for (const Tensor& p : model.parameters()) p.set_grad(zeros_like(p));  // AdamW's state appears at a step
        opt.step();
        opt.zero_grad(/*set_to_none=*/true);
        host_allocator().empty_cache();
        const double before = status_mb("VmRSS");
        reset_peak();
        nn::save_checkpoint(file, model, &opt, &sched, 1);
        const double peak = status_mb("VmHWM");
        std::printf("save: RSS before %.0f MB (weights + AdamW state), peak while saving %.0f MB: +%.0f MB\n", before,
                    peak, peak - before);
    } else {
        host_allocator().empty_cache();
        const double before = status_mb("VmRSS");
        reset_peak();
        nn::load_checkpoint(file, model, &opt, &sched);
        const double after = status_mb("VmRSS"), peak = status_mb("VmHWM");
        std::printf("load: RSS before %.0f MB (weights), after %.0f MB (weights + AdamW state), peak %.0f MB: "
                    "+%.0f MB over the loaded model\n", before, after, peak, peak - after);
    }
    return 0;
}
