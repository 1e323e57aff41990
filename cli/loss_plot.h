#pragma once
// loss.png of a `peso gpt train` run: the training loss of every step as faint
// points under a smoothed line, the evaluations as marked points, with a grid
// and a plain-text legend. The gnuplot script is kept beside it (loss.gp) so
// the plot can be redrawn or restyled; gnuplot missing only costs the picture.
#include <cstdint>
#include <filesystem>

namespace peso::cli {

struct LossPlotOptions {
    bool log_scale = false;      // loss axis logarithmic
    std::int64_t steps_logged = 0;  // sets the smoothing window (about 1/20 of the run)
};

// Reads train_log.csv and metrics.csv in `dir`, writes loss.gp and loss.png there.
// Returns false (after one note on stderr) when gnuplot could not draw it.
bool plot_losses(const std::filesystem::path& dir, const LossPlotOptions& o);

}  // namespace peso::cli
