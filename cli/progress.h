#pragma once
// What `peso gpt train` prints while it runs. Progress goes to stderr: on a
// terminal a live line redrawn with '\r' at every step (kept, with a newline,
// every --log-every steps); into a file or pipe only the --log-every lines,
// each ending in a newline. Results (evaluations, the final summary) go to
// stdout, so `peso gpt train ... > results.txt` keeps them apart.
#include <cstdint>
#include <string>

namespace peso::cli {

struct StepReport {
    std::int64_t step = 0, steps = 0;
    double loss = 0, lr = 0, tokens_per_s = 0;
    double eta_s = -1;  // < 0: unknown
};

std::string fmt_duration(double seconds);  // "3m05s", "1h02m"; "?" when unknown

class Progress {
public:
    // Only the process that speaks (rank 0 under mpirun) prints; quiet drops the step lines.
    Progress(bool speaks, bool quiet, std::int64_t log_every, bool terminal);
    static bool stderr_is_terminal();

    void step(const StepReport& r);
    void note(const std::string& line);    // stderr: what the run is doing
    void result(const std::string& line);  // stdout, always

private:
    void clear_live();
    bool speaks_, quiet_, terminal_;
    std::int64_t log_every_;
    bool live_ = false;  // a '\r' line is on screen
};

}  // namespace peso::cli
