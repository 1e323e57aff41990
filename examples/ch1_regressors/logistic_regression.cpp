// Chapter 1 (a): logistic regression on two 2-D Gaussian blobs, trained twice
// from the same start: once with gradients written by hand, once with
// autograd. At every step the hand-written gradient is also evaluated at the
// autograd model's parameters and compared with what backward() found; at the
// end the two trained models are compared parameter by parameter.
#include <fmt/format.h>

#include <algorithm>

#include "examples/common/example.h"
#include "examples/common/plot.h"
#include "examples/common/results.h"
#include "models/guide/logistic_regression.h"
#include "nn/optim/sgd.h"
#include "peso.h"

using namespace peso;
namespace ex = peso::examples;
namespace fs = std::filesystem;

namespace {

struct Flags {
    double lr = 0.3;
    double spread = 0.8;  // standard deviation of each blob
    std::int64_t train_per_class = 100;
    std::int64_t test_per_class = 100;
};

struct Split {
    Tensor x;  // (N, 2)
    Tensor y;  // (N) 0 / 1, float
};

// n points around (2, 3) labelled 0, then n around (4, 3) labelled 1.
Split make_blobs(std::int64_t n, double spread, Device device) {
    const Tensor centres = tensor({2.f, 3.f, 4.f, 3.f}).view({2, 1, 2});
    const Tensor x = add(mul(randn({2, n, 2}), spread), centres).reshape({2 * n, 2});
    const Tensor y = cat({zeros({n}), ones({n})});
    return {to_device(x, device), to_device(y, device)};
}

double max_abs(const Tensor& t) { return to_dtype(amax(abs(t)), DType::f64).item<double>(); }
double scalar(const Tensor& t) { return to_dtype(t.detach(), DType::f64).item<double>(); }

double accuracy(const models::LogisticRegression& m, const Split& s) {
    const Tensor hits = eq(m.predict(s.x), to_dtype(s.y, DType::i64));
    return scalar(mean(to_dtype(hits, DType::f64)));
}

std::vector<double> column(const Tensor& t) {
    return to_dtype(to_device(t.detach(), Device::cpu()), DType::f64).contiguous().to_vector<double>();
}

// The line w . x + b = 0 across the plotted square, solved for whichever
// coordinate the weight depends on most (so a vertical line works too).
void save_plot(const fs::path& out, const Split& train, const Split& test, const models::LogisticRegression& m) {
    auto write = [&](const Split& s, const std::string& name) {
        const Tensor x = s.x.detach();
        ex::write_columns(out / name, {"x1", "x2", "y"},
                          {column(select(x, 1, 0)), column(select(x, 1, 1)), column(s.y)});
    };
    write(train, "train.dat");
    write(test, "test.dat");
    const std::vector<double> w = column(m.weight), b = column(m.bias);
    const double lo = -1.0, hi = 7.0, bottom = -0.5, top = 6.5;
    std::vector<double> x1, x2;
    const bool steep = std::abs(w[0]) > std::abs(w[1]);
    for (double t : steep ? std::vector<double>{bottom, top} : std::vector<double>{lo, hi}) {
        if (steep) {
            x2.push_back(t);
            x1.push_back(-(w[1] * t + b[0]) / w[0]);
        } else {
            x1.push_back(t);
            x2.push_back(-(w[0] * t + b[0]) / w[1]);
        }
    }
    ex::write_columns(out / "boundary.dat", {"x1", "x2"}, {x1, x2});
    const std::string d = out.string();
    ex::render_png(
        out / "decision_boundary.png",
        fmt::format("set title 'logistic regression: points and decision boundary w.x + b = 0'\n"
                    "set xlabel 'x1'\nset ylabel 'x2'\nset grid\nset size ratio -1\n"
                    "set clip two\nset xrange [{lo}:{hi}]\nset yrange [{bottom}:{top}]\n"
                    "plot '{d}/train.dat' using 1:($3 == 0 ? $2 : 1/0) with points pt 7 ps 0.7 lc rgb '#1f77b4' title "
                    "'train, y = 0',\\\n"
                    "     '{d}/train.dat' using 1:($3 == 1 ? $2 : 1/0) with points pt 7 ps 0.7 lc rgb '#d62728' title "
                    "'train, y = 1',\\\n"
                    "     '{d}/test.dat' using 1:($3 == 0 ? $2 : 1/0) with points pt 6 ps 0.9 lc rgb '#1f77b4' title "
                    "'test, y = 0',\\\n"
                    "     '{d}/test.dat' using 1:($3 == 1 ? $2 : 1/0) with points pt 6 ps 0.9 lc rgb '#d62728' title "
                    "'test, y = 1',\\\n"
                    "     '{d}/boundary.dat' using 1:2 with lines lw 3 lc rgb 'black' title 'decision boundary'",
                    fmt::arg("d", d), fmt::arg("lo", lo), fmt::arg("hi", hi), fmt::arg("bottom", bottom),
                    fmt::arg("top", top)),
        800, 700);
}

void run(const ex::ExampleOptions& opts, const Flags& flags) {
    PESO_CHECK(flags.lr > 0 && flags.spread > 0 && flags.train_per_class >= 1 && flags.test_per_class >= 1, ValueError,
               "--lr, --spread, --train and --test must be positive");
    const Device device = ex::example_device(opts);
    const Split train = make_blobs(flags.train_per_class, flags.spread, device);
    const Split test = make_blobs(flags.test_per_class, flags.spread, device);
    fmt::print("data: {} training and {} test points, blobs around (2, 3) and (4, 3), std {}\n", train.x.size(0),
               test.x.size(0), flags.spread);

    models::LogisticRegression by_hand(2), by_autograd(2);
    by_hand.to(device);
    by_autograd.to(device);
    nn::optim::SGD sgd(by_autograd.parameters(), {.lr = flags.lr});

    ex::LossCurve curve;
    double max_grad_diff = 0;
    for (std::int64_t step = 1; step <= opts.steps; ++step) {
        // Autograd: the loss's graph, then backward() fills .grad().
        const Tensor loss = by_autograd.loss(train.x, train.y);
        sgd.zero_grad();
        loss.backward();
        const models::LogisticGradients check = by_autograd.manual_gradients(train.x, train.y);
        max_grad_diff = std::max({max_grad_diff, max_abs(sub(by_autograd.weight.grad(), check.weight)),
                                  max_abs(sub(by_autograd.bias.grad(), check.bias))});
        sgd.step();

        // By hand: the same update with the derived formulas, no graph at all.
        const models::LogisticGradients g = by_hand.manual_gradients(train.x, train.y);
        {
            NoGradGuard no_grad;
            by_hand.weight.add_(g.weight, -flags.lr);
            by_hand.bias.add_(g.bias, -flags.lr);
        }
        if (step == 1 || step % 10 == 0 || step == opts.steps) curve.add(step, scalar(loss));
        if (step == 1 || step % std::max<std::int64_t>(1, opts.steps / 5) == 0)
            fmt::print("step {:5d}  loss {:.4f}\n", step, scalar(loss));
    }
    curve.print_summary();

    const double max_param_diff =
        std::max(max_abs(sub(by_hand.weight, by_autograd.weight)), max_abs(sub(by_hand.bias, by_autograd.bias)));
    NoGradGuard no_grad;
    const std::vector<double> w = column(by_autograd.weight), b = column(by_autograd.bias);
    fmt::print("learned: w = ({:.4f}, {:.4f}), b = {:.4f}; boundary x1 ~ {:.3f} where x2 = 3\n", w[0], w[1], b[0],
               -(w[1] * 3.0 + b[0]) / w[0]);
    fmt::print("hand-written vs autograd gradients: max |difference| over {} steps = {:.3g}\n", opts.steps,
               max_grad_diff);
    fmt::print("parameters trained by hand vs by autograd: max |difference| = {:.3g}\n", max_param_diff);

    const ex::Results results(opts.out);
    results.record("loss_autograd", scalar(by_autograd.loss(train.x, train.y)));
    results.record("loss_hand", scalar(by_hand.loss(train.x, train.y)));
    results.record("train_accuracy", accuracy(by_autograd, train));
    results.record("test_accuracy", accuracy(by_autograd, test));
    results.record("test_accuracy_hand", accuracy(by_hand, test));
    results.record("max_grad_diff", max_grad_diff);
    results.record("max_param_diff", max_param_diff);

    const fs::path out(opts.out);
    curve.save(out, "logistic regression: training loss (binary cross-entropy)");
    save_plot(out, train, test, by_autograd);
    fmt::print("plots: {}/decision_boundary.png, {}/loss.png\n", opts.out, opts.out);
}

}  // namespace

int main(int argc, char** argv) {
    Flags flags;
    return ex::run_example(
        argc, argv,
        {"logistic_regression", "Logistic regression on two Gaussian blobs, gradients by hand and by autograd"},
        {.steps = 3000},
        [&](CLI::App& app) {
            app.add_option("--lr", flags.lr, "learning rate of gradient descent")->capture_default_str();
            app.add_option("--spread", flags.spread, "standard deviation of each blob")->capture_default_str();
            app.add_option("--train", flags.train_per_class, "training points per class")->capture_default_str();
            app.add_option("--test", flags.test_per_class, "test points per class")->capture_default_str();
        },
        [&](const ex::ExampleOptions& opts) { run(opts, flags); });
}
