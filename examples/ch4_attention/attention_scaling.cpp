// Chapter 4 (b): why attention divides q . k by sqrt(d). With q and k of
// independent unit-variance components, q . k is a sum of d unit-variance
// products, so its variance is d; divided by sqrt(d) it is 1 for every d.
// Unscaled scores grow with d and push the softmax towards a one-hot vector
// (low entropy, tiny gradients); scaled ones keep it equally soft for every d.
#include <fmt/format.h>

#include <cmath>

#include "examples/common/example.h"
#include "examples/common/plot.h"
#include "examples/common/results.h"
#include "peso.h"

using namespace peso;

namespace {

struct Flags {
    std::int64_t pairs = 8192;  // q, k pairs per dimension for the variance
    std::int64_t keys = 16;     // keys per query for the softmax statistics
};

struct Row {
    double d, var_unscaled, var_scaled, entropy_unscaled, entropy_scaled, pmax_unscaled, pmax_scaled;
};

// Mean entropy (nats) and mean largest probability of softmax over the last dim.
std::pair<double, double> softmax_stats(const Tensor& scores) {
    const Tensor p = softmax(scores, -1);
    const Tensor entropy = neg(sum(mul(p, log_softmax(scores, -1)), {-1}));
    return {mean(entropy).item<double>(), mean(amax(p, {-1})).item<double>()};
}

Row measure(std::int64_t d, const Flags& flags, Device device) {
    const TensorOptions f64 = TensorOptions(DType::f64).device(device);
    const double scale = 1.0 / std::sqrt(static_cast<double>(d));
    // Variance of one score q . k over many independent pairs.
    const Tensor q = randn({flags.pairs, d}, f64), k = randn({flags.pairs, d}, f64);
    const Tensor dots = sum(mul(q, k), {-1});
    Row r{static_cast<double>(d), var(dots).item<double>(), var(mul(dots, scale)).item<double>(), 0, 0, 0, 0};
    // Softmax over `keys` keys for each query: (queries, 1, d) x (queries, d, keys).
    const std::int64_t queries = flags.pairs / flags.keys;
    const Tensor qs = randn({queries, 1, d}, f64), ks = randn({queries, d, flags.keys}, f64);
    const Tensor scores = matmul(qs, ks).squeeze(1);  // (queries, keys)
    std::tie(r.entropy_unscaled, r.pmax_unscaled) = softmax_stats(scores);
    std::tie(r.entropy_scaled, r.pmax_scaled) = softmax_stats(mul(scores, scale));
    return r;
}

void plot(const std::filesystem::path& out, std::int64_t keys) {
    const std::string dat = (out / "scaling.dat").string();
    examples::render_png(out / "variance.png",
                         fmt::format("set title 'variance of q.k with unit-variance components'\n"
                                     "set xlabel 'd'\nset ylabel 'variance'\nset logscale xy 2\nset grid\n"
                                     "set key top left\n"
                                     "plot '{0}' using 1:2 with linespoints lw 2 title 'q.k (about d)', "
                                     "'{0}' using 1:3 with linespoints lw 2 title 'q.k / sqrt(d) (about 1)'",
                                     dat));
    examples::render_png(out / "softmax_entropy.png",
                         fmt::format("set title 'softmax over {1} keys'\nset xlabel 'd'\nset logscale x 2\n"
                                     "set ylabel 'mean entropy (nats)'\nset y2label 'mean largest probability'\n"
                                     "set ytics nomirror\nset y2tics\nset yrange [0:*]\nset y2range [0:1]\n"
                                     "set grid\nset key below\n"
                                     "plot '{0}' using 1:4 axes x1y1 with linespoints lw 2 title 'entropy, unscaled', "
                                     "'{0}' using 1:5 axes x1y1 with linespoints lw 2 title 'entropy, scaled', "
                                     "'{0}' using 1:6 axes x1y2 with linespoints dt 2 title 'max p, unscaled', "
                                     "'{0}' using 1:7 axes x1y2 with linespoints dt 2 title 'max p, scaled', "
                                     "log({1}) axes x1y1 with lines lc 'gray' title 'uniform: ln {1}'",
                                     dat, keys));
}

void run(const examples::ExampleOptions& opts, const Flags& flags) {
    const Device device = examples::example_device(opts);
    std::vector<Row> rows;
    fmt::print("{:>6} {:>12} {:>12} {:>14} {:>12} {:>12} {:>10}\n", "d", "var(q.k)", "var(scaled)",
               "H unscaled", "H scaled", "maxp unsc.", "maxp sc.");
    for (std::int64_t d = 2; d <= 1024; d *= 2) {
        rows.push_back(measure(d, flags, device));
        const Row& r = rows.back();
        fmt::print("{:>6} {:>12.2f} {:>12.3f} {:>14.3f} {:>12.3f} {:>12.3f} {:>10.3f}\n", d, r.var_unscaled,
                   r.var_scaled, r.entropy_unscaled, r.entropy_scaled, r.pmax_unscaled, r.pmax_scaled);
    }
    fmt::print("uniform entropy over {} keys: ln {} = {:.3f}\n", flags.keys, flags.keys,
               std::log(static_cast<double>(flags.keys)));
    std::vector<std::vector<double>> cols(7);
    double worst_scaled = 0, worst_ratio = 0;
    for (const Row& r : rows) {
        const double values[] = {r.d, r.var_unscaled, r.var_scaled, r.entropy_unscaled, r.entropy_scaled,
                                 r.pmax_unscaled, r.pmax_scaled};
        for (int c = 0; c < 7; ++c) cols[static_cast<std::size_t>(c)].push_back(values[c]);
        worst_scaled = std::max(worst_scaled, std::abs(r.var_scaled - 1.0));
        worst_ratio = std::max(worst_ratio, std::abs(r.var_unscaled / r.d - 1.0));
    }
    examples::write_columns(std::filesystem::path(opts.out) / "scaling.dat",
                            {"d", "var_unscaled", "var_scaled", "entropy_unscaled", "entropy_scaled",
                             "maxp_unscaled", "maxp_scaled"},
                            cols);
    plot(opts.out, flags.keys);
    const examples::Results results(opts.out);
    // Both deviations are relative: |var/1 - 1| for the scaled scores, |var/d - 1| for the unscaled.
    results.record("scaled_var_max_dev", worst_scaled);
    results.record("unscaled_var_over_d_max_dev", worst_ratio);
    results.record("entropy_scaled_d1024", rows.back().entropy_scaled);
    results.record("entropy_unscaled_d1024", rows.back().entropy_unscaled);
}

}  // namespace

int main(int argc, char** argv) {
    Flags flags;
    examples::ExampleOptions defaults;
    defaults.steps = 1;  // nothing is trained here
    return examples::run_example(
        argc, argv, {"attention_scaling", "variance of q.k with and without the 1/sqrt(d) scaling"}, defaults,
        [&](CLI::App& app) {
            app.add_option("--pairs", flags.pairs, "random q, k pairs per dimension")->check(CLI::Range(64, 1 << 22));
            app.add_option("--keys", flags.keys, "keys per query in the softmax statistics")
                ->check(CLI::Range(2, 4096));
        },
        [&](const examples::ExampleOptions& opts) { run(opts, flags); });
}
