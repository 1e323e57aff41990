#include "examples/common/attention_plot.h"

#include <fmt/format.h>

#include "core/error.h"
#include "examples/common/plot.h"
#include "peso.h"

namespace peso::examples {

namespace {

// gnuplot tic labels: ("w0" 0, "w1" 1, ...).
std::string quoted_tics(const std::vector<std::string>& labels) {
    std::string s;
    for (std::size_t i = 0; i < labels.size(); ++i) s += fmt::format("{}\"{}\" {}", i ? ", " : "", labels[i], i);
    return "(" + s + ")";
}

std::vector<std::vector<double>> matrix_rows(const Tensor& m) {
    const auto v = m.to_vector<double>();
    std::vector<std::vector<double>> rows;
    for (std::int64_t r = 0; r < m.size(0); ++r)
        rows.emplace_back(v.begin() + r * m.size(1), v.begin() + (r + 1) * m.size(1));
    return rows;
}

}  // namespace

bool plot_attention(const std::filesystem::path& out, const std::string& name, const std::string& title,
                    const std::vector<Tensor>& layers, const std::vector<std::string>& queries,
                    const std::vector<std::string>& keys) {
    PESO_CHECK(!layers.empty(), ValueError, "plot_attention({}): no layers", name);
    const auto L = static_cast<std::int64_t>(layers.size()), H = layers.front().size(0);
    for (const Tensor& w : layers)
        PESO_CHECK(w.dim() == 3 && w.size(0) == H && w.size(1) == static_cast<std::int64_t>(queries.size()) &&
                       w.size(2) == static_cast<std::int64_t>(keys.size()),
                   ShapeError, "plot_attention({}): expected ({}, {}, {}) weights per layer, got {}", name, H,
                   queries.size(), keys.size(), w.sizes());
    std::string script = fmt::format(
        "set multiplot layout {},{} title '{}'\nset palette defined (0 'white', 1 '#3060c0', 2 '#102050')\n"
        "set cbrange [0:1]\nunset colorbox\nset xtics {} rotate by 60 right font ',9'\nset ytics {} font ',9'\n"
        "set xrange [-0.5:{}]\nset yrange [{}:-0.5]\nset size ratio -1\n",
        L, H, title, quoted_tics(keys), quoted_tics(queries), keys.size() - 0.5, queries.size() - 0.5);
    for (std::int64_t l = 0; l < L; ++l) {
        const Tensor w = to_dtype(to_device(layers[static_cast<std::size_t>(l)], Device::cpu()), DType::f64);
        for (std::int64_t h = 0; h < H; ++h) {
            const auto dat = out / fmt::format("{}_layer{}_head{}.dat", name, l, h);
            write_matrix(dat, matrix_rows(w.select(0, h).contiguous()));
            script += fmt::format("set title 'layer {}, head {}'\nplot '{}' matrix with image notitle\n", l, h,
                                  dat.string());
        }
    }
    script += "unset multiplot\n";
    return render_png(out / (name + ".png"), script, static_cast<int>(360 * H), static_cast<int>(340 * L));
}

}  // namespace peso::examples
