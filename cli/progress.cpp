#include "cli/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace peso::cli {

std::string fmt_duration(double s) {
    if (s < 0 || !std::isfinite(s)) return "?";
    const auto t = static_cast<long>(s);
    return t >= 3600 ? fmt::format("{}h{:02}m", t / 3600, (t % 3600) / 60) : fmt::format("{}m{:02}s", t / 60, t % 60);
}

Progress::Progress(bool speaks, bool quiet, std::int64_t log_every, bool terminal)
    : speaks_(speaks), quiet_(quiet), terminal_(terminal), log_every_(log_every < 1 ? 1 : log_every) {}

bool Progress::stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

void Progress::step(const StepReport& r) {
    if (!speaks_ || quiet_) return;
    const bool logged = r.step % log_every_ == 0 || r.step == r.steps;
    if (!logged && !terminal_) return;
    const std::string line = fmt::format("step {}/{}  loss {:.4f}  lr {:.2e}  {:.0f} tok/s  ETA {}", r.step, r.steps,
                                         r.loss, r.lr, r.tokens_per_s, fmt_duration(r.eta_s));
    if (terminal_) {
        // "\x1b[K" clears what a longer previous line left.
        std::fprintf(stderr, "\r%s\x1b[K%s", line.c_str(), logged ? "\n" : "");
        live_ = !logged;
    } else {
        std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
}

void Progress::clear_live() {
    if (!live_) return;
    std::fputs("\r\x1b[K", stderr);
    std::fflush(stderr);
    live_ = false;
}

void Progress::note(const std::string& line) {
    if (!speaks_) return;
    clear_live();
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
}

void Progress::result(const std::string& line) {
    if (!speaks_) return;
    clear_live();
    std::fprintf(stdout, "%s\n", line.c_str());
    std::fflush(stdout);
}

}  // namespace peso::cli
