#include "cli/loss_plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "cli/gpt_files.h"
#include "core/error.h"
#include "core/run_program.h"

namespace peso::cli {

namespace {

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
        fmt::arg("out", gnuplot_quote((dir / "loss.png").string())), fmt::arg("log", o.log_scale ? "set logscale y\n" : ""),
        fmt::arg("keep", keep), fmt::arg("log_csv", gnuplot_quote((dir / "train_log.csv").string())),
        fmt::arg("metrics", gnuplot_quote((dir / "metrics.csv").string())));
}

}  // namespace

bool plot_losses(const fs::path& dir, const LossPlotOptions& o) {
    // Not std::system: it ignores SIGINT while the child runs, so a Ctrl-C
    // during the plot would be lost instead of stopping the training.
    bool drawn = false;
    try {
        write_text_file(dir / "loss.gp", script(dir, o));
        const ProgramResult r = run_program({"gnuplot", (dir / "loss.gp").string()}, "");
        drawn = r.started && r.exit_status == 0;
    } catch (const ValueError&) {  // a path gnuplot cannot quote (a newline in it)
    }
    if (drawn) return true;
    static bool told = false;
    if (!told) std::fprintf(stderr, "note: gnuplot could not draw %s (is gnuplot installed?)\n",
                            (dir / "loss.png").string().c_str());
    told = true;
    return false;
}

}  // namespace peso::cli
