#include "cli/loss_plot.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cerrno>
#include <cstdlib>

#include "cli/gpt_files.h"

extern char** environ;  // what posix_spawnp passes on

namespace peso::cli {

namespace {

// gnuplot quotes: '...' with '' for a quote.
std::string quoted(const fs::path& p) {
    std::string s = "'";
    for (char c : p.string()) s += c == '\'' ? std::string("''") : std::string(1, c);
    return s + "'";
}

std::string script(const fs::path& dir, const LossPlotOptions& o) {
    // A bias-corrected exponential moving average over about a twentieth of the steps.
    const double window = std::max<double>(1.0, static_cast<double>(o.steps_logged) / 20.0);
    const double keep = 1.0 - 1.0 / window;
    return fmt::format(
        "set terminal pngcairo size 900,540 noenhanced\n"
        "set output {out}\n"
        "set datafile separator ','\n"
        "set title 'peso gpt train' noenhanced\n"
        "set xlabel 'step'\n"
        "set ylabel 'loss (cross-entropy, nats)'\n"
        "set grid\n"
        "set key top right noenhanced\n"
        "{log}"
        "a = {keep}; m = 0; w = 0\n"
        "plot {log_csv} skip 1 using 1:2 with points pt 7 ps 0.3 lc rgb '#a0c4e8' title 'train loss (each step)', \\\n"
        "     {log_csv} skip 1 using 1:(m = a * m + (1 - a) * $2, w = a * w + (1 - a), m / w) with lines lw 2 "
        "lc rgb '#1f5fa8' title 'train loss (smoothed)', \\\n"
        "     {metrics} skip 1 using 1:3 with linespoints pt 9 ps 1.3 lw 1 lc rgb '#d9480f' title 'val loss'\n",
        fmt::arg("out", quoted(dir / "loss.png")), fmt::arg("log", o.log_scale ? "set logscale y\n" : ""),
        fmt::arg("keep", keep), fmt::arg("log_csv", quoted(dir / "train_log.csv")),
        fmt::arg("metrics", quoted(dir / "metrics.csv")));
}

// Runs `gnuplot script` and waits. Not std::system: it ignores SIGINT while the child runs, and a
// Ctrl-C during the plot would be lost instead of stopping the training.
bool run_gnuplot(const fs::path& script_path) {
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    std::string prog = "gnuplot", arg = script_path.string();
    char* argv[] = {prog.data(), arg.data(), nullptr};
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, "gnuplot", &files, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&files);
    if (rc != 0) return false;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return false;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

bool plot_losses(const fs::path& dir, const LossPlotOptions& o) {
    write_text_file(dir / "loss.gp", script(dir, o));
    if (run_gnuplot(dir / "loss.gp")) return true;
    static bool told = false;
    if (!told) std::fprintf(stderr, "note: gnuplot could not draw %s (is gnuplot installed?)\n",
                            (dir / "loss.png").string().c_str());
    told = true;
    return false;
}

}  // namespace peso::cli
