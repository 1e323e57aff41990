// minGPT's first demo: a gpt-nano learns to sort short digit sequences. The
// model reads the input digits followed by the sorted digits and is trained
// to predict only the sorted half; it is then asked to complete held-out
// inputs it never saw, greedily, and scored on exact matches.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "examples/ch7_gpt/gpt_lab.h"
#include "examples/common/example.h"
#include "examples/common/plot.h"
#include "examples/common/results.h"
#include "peso.h"

using namespace peso;
namespace ex = peso::examples;

namespace {

struct SortTask {
    std::int64_t length = 6;  // digits to sort
    std::int64_t digits = 3;  // values 0 .. digits-1

    // A held-out input is fixed by its content (a hash of its digits), so
    // that the training stream can reject it without a table of what was seen.
    bool held_out(const std::vector<std::int64_t>& seq) const {
        std::uint64_t h = 1469598103934665603ull;
        for (std::int64_t d : seq) h = (h ^ static_cast<std::uint64_t>(d + 1)) * 1099511628211ull;
        return (h >> 7) % 4 == 0;
    }
};

// One example as the GPT sees it: x = input + sorted minus the last token,
// y = x shifted by one, with the predictions of the input half ignored (-1).
void append_example(const SortTask& task, const std::vector<std::int64_t>& in, std::vector<std::int64_t>& xs,
                    std::vector<std::int64_t>& ys) {
    std::vector<std::int64_t> full = in, sorted = in;
    std::sort(sorted.begin(), sorted.end());
    full.insert(full.end(), sorted.begin(), sorted.end());
    for (std::int64_t t = 0; t + 1 < static_cast<std::int64_t>(full.size()); ++t) {
        xs.push_back(full[t]);
        ys.push_back(t < task.length - 1 ? -1 : full[t + 1]);
    }
}

std::vector<std::int64_t> random_input(const SortTask& task, Generator& gen) {
    const Tensor r = randint(0, task.digits, {task.length}, TensorOptions(DType::i64), &gen);
    return r.to_vector<std::int64_t>();
}

// Every held-out input when there are few enough, else a random sample of them.
std::vector<std::vector<std::int64_t>> held_out_inputs(const SortTask& task, Generator& gen) {
    std::vector<std::vector<std::int64_t>> out;
    double total = 1;
    for (std::int64_t i = 0; i < task.length; ++i) total *= static_cast<double>(task.digits);
    if (total <= 5000) {
        for (std::int64_t code = 0; code < static_cast<std::int64_t>(total); ++code) {
            std::vector<std::int64_t> seq(task.length);
            std::int64_t c = code;
            for (auto& d : seq) d = c % task.digits, c /= task.digits;
            if (task.held_out(seq)) out.push_back(seq);
        }
        return out;
    }
    while (out.size() < 1000) {
        auto seq = random_input(task, gen);
        if (task.held_out(seq)) out.push_back(seq);
    }
    return out;
}

struct Accuracy {
    double exact = 0;  // whole sorted sequence right
    std::vector<std::vector<std::int64_t>> predictions;
};

Accuracy score(models::Gpt& model, const SortTask& task, const std::vector<std::vector<std::int64_t>>& inputs) {
    std::vector<std::int64_t> flat;
    for (const auto& in : inputs) flat.insert(flat.end(), in.begin(), in.end());
    const auto B = static_cast<std::int64_t>(inputs.size());
    const Tensor prompts = from_vector<std::int64_t>(flat, Dims{B, task.length});
    const auto out = ex::gpt_lab::greedy_complete(model, prompts, task.length).to_vector<std::int64_t>();
    Accuracy acc;
    std::int64_t right = 0;
    for (std::int64_t b = 0; b < B; ++b) {
        std::vector<std::int64_t> want = inputs[b];
        std::sort(want.begin(), want.end());
        std::vector<std::int64_t> got(out.begin() + b * task.length, out.begin() + (b + 1) * task.length);
        right += got == want;
        acc.predictions.push_back(std::move(got));
    }
    acc.exact = static_cast<double>(right) / static_cast<double>(B);
    return acc;
}

std::string digits_str(const std::vector<std::int64_t>& v) {
    std::string s(v.size(), '0');
    for (std::size_t i = 0; i < v.size(); ++i) s[i] = static_cast<char>('0' + v[i]);
    return s;
}

void run(const ex::ExampleOptions& opts, const SortTask& task, std::int64_t batch, double lr, int threads) {
    ex::gpt_lab::set_threads(threads);
    PESO_CHECK(task.length >= 2 && task.length <= 32, ValueError, "--length must be in [2, 32], got {}", task.length);
    PESO_CHECK(task.digits >= 2 && task.digits <= 10, ValueError, "--digits must be in [2, 10], got {}", task.digits);
    const Device device = ex::example_device(opts);
    Generator data_gen(opts.seed + 1);
    const auto test = held_out_inputs(task, data_gen);
    fmt::print("sorting {} digits in 0..{}: {} held-out inputs never used for training\n", task.length,
               task.digits - 1, test.size());

    models::Gpt model(models::GptConfig::preset("gpt-nano", task.digits, 2 * task.length - 1));
    model.to(device);
    fmt::print("gpt-nano: {} parameters\n", model.num_parameters());
    ex::gpt_lab::TrainSettings settings;
    settings.lr = lr;
    auto opt = ex::gpt_lab::make_optimizer(model, settings);

    ex::LossCurve curve;
    std::vector<double> eval_steps, eval_acc;
    const std::int64_t T = 2 * task.length - 1, eval_every = std::max<std::int64_t>(1, opts.steps / 10);
    for (std::int64_t step = 1; step <= opts.steps; ++step) {
        std::vector<std::int64_t> xs, ys;
        while (static_cast<std::int64_t>(xs.size()) < batch * T) {
            const auto in = random_input(task, data_gen);
            if (!task.held_out(in)) append_example(task, in, xs, ys);
        }
        const Tensor x = from_vector<std::int64_t>(xs, Dims{batch, T}, device);
        const Tensor y = from_vector<std::int64_t>(ys, Dims{batch, T}, device);
        opt->set_lr(ex::gpt_lab::cosine_lr(lr, step, opts.steps));
        curve.add(step, ex::gpt_lab::train_step(model, *opt, x, y, settings.grad_clip));
        if (step % eval_every == 0 || step == opts.steps) {
            eval_steps.push_back(static_cast<double>(step));
            eval_acc.push_back(score(model, task, test).exact);
            fmt::print("step {:5d}  loss {:.4f}  held-out exact match {:.3f}\n", step, curve.last(), eval_acc.back());
        }
    }
    curve.print_summary();
    const Accuracy acc = score(model, task, test);
    fmt::print("held-out examples (input -> model's answer):\n");
    for (std::size_t i = 0; i < std::min<std::size_t>(6, test.size()); ++i)
        fmt::print("  {} -> {}\n", digits_str(test[i]), digits_str(acc.predictions[i]));

    const ex::Results results(opts.out);
    results.record("loss", curve.last());
    results.record("accuracy", acc.exact);
    curve.save(opts.out, "gpt-nano sorting digits: training loss");
    const auto dat = std::filesystem::path(opts.out) / "accuracy.dat";
    ex::write_columns(dat, {"step", "exact_match"}, {eval_steps, eval_acc});
    ex::render_png(std::filesystem::path(opts.out) / "accuracy.png",
                   fmt::format("set title 'held-out exact-match accuracy'\nset xlabel 'step'\nset yrange [0:1]\n"
                               "set grid\nplot '{}' using 1:2 with linespoints lw 2 title 'sorted correctly'",
                               dat.string()));
}

}  // namespace

int main(int argc, char** argv) {
    SortTask task;
    std::int64_t batch = 64;
    double lr = 5e-4;
    int threads = 1;
    ex::ExampleOptions defaults;
    defaults.steps = 1000;
    return ex::run_example(
        argc, argv, {"gpt_sort", "gpt-nano learns to sort digit sequences (minGPT's sort demo)"}, defaults,
        [&](CLI::App& app) {
            app.add_option("--length", task.length, "digits per sequence")->capture_default_str();
            app.add_option("--digits", task.digits, "distinct digit values")->capture_default_str();
            app.add_option("--batch", batch, "sequences per step")->capture_default_str()->check(CLI::PositiveNumber);
            app.add_option("--lr", lr, "peak AdamW learning rate (cosine decay to a tenth)")->capture_default_str();
            app.add_option("--threads", threads, "OpenMP threads (0: OpenMP's default)")->capture_default_str();
        },
        [&](const ex::ExampleOptions& opts) { run(opts, task, batch, lr, threads); });
}
