#include "examples/common/plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "core/error.h"
#include "core/run_program.h"

namespace peso::examples {

namespace fs = std::filesystem;

namespace {

std::ofstream open_for_writing(const fs::path& file) {
    std::ofstream f(file);
    PESO_CHECK(f.good(), IOError, "cannot write {}", file.string());
    return f;
}

}  // namespace

void write_columns(const fs::path& file, const std::vector<std::string>& names,
                   const std::vector<std::vector<double>>& columns) {
    PESO_CHECK(names.size() == columns.size(), ValueError, "write_columns: {} names for {} columns", names.size(),
               columns.size());
    const std::size_t rows = columns.empty() ? 0 : columns[0].size();
    for (const auto& c : columns)
        PESO_CHECK(c.size() == rows, ValueError, "write_columns: columns of {} and {} rows", rows, c.size());
    std::ofstream f = open_for_writing(file);
    f << '#';
    for (const auto& n : names) f << ' ' << n;
    f << '\n';
    for (std::size_t r = 0; r < rows; ++r) {
        for (std::size_t c = 0; c < columns.size(); ++c) f << (c ? " " : "") << fmt::format("{:.9g}", columns[c][r]);
        f << '\n';
    }
}

void write_matrix(const fs::path& file, const std::vector<std::vector<double>>& rows) {
    std::ofstream f = open_for_writing(file);
    for (const auto& row : rows) {
        for (std::size_t c = 0; c < row.size(); ++c) f << (c ? " " : "") << fmt::format("{:.9g}", row[c]);
        f << '\n';
    }
}

bool render_png(const fs::path& png, const std::string& script, int width, int height) {
    // The script is kept beside the figure (to re-render by hand) and given to
    // gnuplot on its standard input: no shell, whatever the paths hold.
    const fs::path script_file = fs::path(png).replace_extension(".gp");
    // pngcairo is optional in some gnuplot builds; the plain png terminal is not.
    for (const char* terminal : {"pngcairo", "png"}) {
        const std::string full = fmt::format("set terminal {} size {},{} noenhanced\nset output {}\n{}\n", terminal,
                                             width, height, gnuplot_quote(png.string()), script);
        open_for_writing(script_file) << full;
        if (run_program({"gnuplot"}, full).exit_status == 0) return true;
    }
    std::fprintf(stderr, "(gnuplot not available or failed: no %s)\n", png.string().c_str());
    return false;
}

void LossCurve::add(std::int64_t step, double loss) {
    steps_.push_back(static_cast<double>(step));
    losses_.push_back(loss);
}

double LossCurve::first() const {
    PESO_CHECK(!losses_.empty(), ValueError, "LossCurve: no points");
    return losses_.front();
}

double LossCurve::last() const {
    PESO_CHECK(!losses_.empty(), ValueError, "LossCurve: no points");
    const std::size_t n = std::min<std::size_t>(5, losses_.size());
    double s = 0;
    for (std::size_t i = losses_.size() - n; i < losses_.size(); ++i) s += losses_[i];
    return s / static_cast<double>(n);
}

double LossCurve::min() const {
    PESO_CHECK(!losses_.empty(), ValueError, "LossCurve: no points");
    return *std::min_element(losses_.begin(), losses_.end());
}

void LossCurve::print_summary() const {
    fmt::print("loss: {:.4f} at step {} -> {:.4f} at step {} (min {:.4f}, {} points)\n", first(), steps_.front(),
               last(), steps_.back(), min(), losses_.size());
}

void LossCurve::save(const fs::path& out_dir, const std::string& title) const {
    const fs::path dat = out_dir / "loss.dat";
    write_columns(dat, {"step", "loss"}, {steps_, losses_});
    render_png(out_dir / "loss.png",
               fmt::format("set title '{}'\nset xlabel 'step'\nset ylabel 'loss'\nset grid\n"
                           "plot '{}' using 1:2 with lines lw 2 title 'training loss'",
                           title, dat.string()));
}

}  // namespace peso::examples
