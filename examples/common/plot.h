#pragma once
// Plots as PNG files through Debian's gnuplot, always beside the numbers
// behind them (a whitespace-separated .dat file gnuplot reads).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace peso::examples {

// Writes equal-length columns as text with a "# name name ..." header line.
void write_columns(const std::filesystem::path& file, const std::vector<std::string>& names,
                   const std::vector<std::vector<double>>& columns);

// Writes a matrix (rows of equal length) as text, one row per line.
void write_matrix(const std::filesystem::path& file, const std::vector<std::vector<double>>& rows);

// Runs gnuplot with `script` after setting a PNG terminal and the output file.
// Returns false, with a note on stderr, when gnuplot is missing or fails: a
// plot is a by-product, never a reason to lose the run's results.
bool render_png(const std::filesystem::path& png, const std::string& script, int width = 800, int height = 600);

// The training curve every program records: step and loss, printed as a
// summary, written to OUT/loss.dat and drawn to OUT/loss.png.
class LossCurve {
public:
    void add(std::int64_t step, double loss);
    double first() const;
    double last() const;  // the mean of the last few points, less noisy than one batch
    double min() const;
    void print_summary() const;
    void save(const std::filesystem::path& out_dir, const std::string& title) const;

private:
    std::vector<double> steps_;
    std::vector<double> losses_;
};

}  // namespace peso::examples
