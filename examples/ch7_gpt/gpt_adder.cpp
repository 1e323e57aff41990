// minGPT's second demo: a gpt-nano learns to add two n-digit numbers. The
// sequence is a's digits, b's digits, then the sum's n+1 digits written
// backwards (least significant first), so that each output digit depends
// on digits already produced plus a carry, as in long addition. Only the
// sum's digits are trained on; held-out pairs are scored on exact matches.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "examples/ch7_gpt/gpt_lab.h"
#include "examples/common/example.h"
#include "examples/common/plot.h"
#include "examples/common/results.h"
#include "peso.h"

using namespace peso;
namespace ex = peso::examples;

namespace {

struct AdderTask {
    std::int64_t ndigit = 2;

    std::int64_t modulus() const {
        std::int64_t m = 1;
        for (std::int64_t i = 0; i < ndigit; ++i) m *= 10;
        return m;
    }
    std::int64_t prompt_len() const { return 2 * ndigit; }
    std::int64_t answer_len() const { return ndigit + 1; }
    std::int64_t seq_len() const { return prompt_len() + answer_len(); }

    // Problem p (0 .. modulus^2 - 1) is the pair (p / modulus, p % modulus).
    std::vector<std::int64_t> sequence(std::int64_t problem) const {
        const std::int64_t a = problem / modulus(), b = problem % modulus();
        std::vector<std::int64_t> seq;
        auto push_digits = [&](std::int64_t v, std::int64_t n, bool reversed) {
            std::vector<std::int64_t> d(n);
            for (std::int64_t i = n - 1; i >= 0; --i, v /= 10) d[i] = v % 10;  // most significant first
            if (reversed) std::reverse(d.begin(), d.end());
            seq.insert(seq.end(), d.begin(), d.end());
        };
        push_digits(a, ndigit, false);
        push_digits(b, ndigit, false);
        push_digits(a + b, ndigit + 1, true);
        return seq;
    }
};

// (x, y) rows for a batch of problems: x = seq minus its last token, y = seq
// shifted by one with the predictions made inside the prompt ignored (-1).
std::pair<Tensor, Tensor> make_batch(const AdderTask& task, const std::vector<std::int64_t>& problems,
                                     Device device) {
    const std::int64_t T = task.seq_len() - 1;
    std::vector<std::int64_t> xs, ys;
    for (std::int64_t p : problems) {
        const auto seq = task.sequence(p);
        for (std::int64_t t = 0; t < T; ++t) {
            xs.push_back(seq[t]);
            ys.push_back(t < task.prompt_len() - 1 ? -1 : seq[t + 1]);
        }
    }
    const auto B = static_cast<std::int64_t>(problems.size());
    return {from_vector<std::int64_t>(xs, Dims{B, T}, device), from_vector<std::int64_t>(ys, Dims{B, T}, device)};
}

// Exact-match accuracy on `problems`, decoding the reversed sum greedily.
// wrong collects a few mistakes as "a + b = predicted".
double score(models::Gpt& model, const AdderTask& task, const std::vector<std::int64_t>& problems, Device device,
             std::vector<std::string>* wrong = nullptr) {
    std::vector<std::int64_t> flat;
    for (std::int64_t p : problems) {
        const auto seq = task.sequence(p);
        flat.insert(flat.end(), seq.begin(), seq.begin() + task.prompt_len());
    }
    const auto B = static_cast<std::int64_t>(problems.size());
    const Tensor prompts = from_vector<std::int64_t>(flat, Dims{B, task.prompt_len()}, device);
    const auto out = ex::gpt_lab::greedy_complete(model, prompts, task.answer_len()).to_vector<std::int64_t>();
    std::int64_t right = 0;
    for (std::int64_t i = 0; i < B; ++i) {
        std::int64_t sum = 0;
        for (std::int64_t k = task.answer_len() - 1; k >= 0; --k) sum = 10 * sum + out[i * task.answer_len() + k];
        const std::int64_t a = problems[i] / task.modulus(), b = problems[i] % task.modulus();
        if (sum == a + b) {
            ++right;
        } else if (wrong && wrong->size() < 8) {
            wrong->push_back(fmt::format("{} + {} = {} (not {})", a, b, sum, a + b));
        }
    }
    return static_cast<double>(right) / static_cast<double>(B);
}

void run(const ex::ExampleOptions& opts, const AdderTask& task, std::int64_t batch, double lr, int threads) {
    PESO_CHECK(task.ndigit >= 1 && task.ndigit <= 4, ValueError, "--ndigit must be in [1, 4], got {}", task.ndigit);
    ex::gpt_lab::set_threads(threads);
    const Device device = ex::example_device(opts);
    // minGPT's split: a fixed random permutation of every pair, the first
    // min(20%, 500) of them held out.
    const std::int64_t total = task.modulus() * task.modulus();
    Generator split_gen(opts.seed + 1);
    const auto perm = randperm(total, TensorOptions(DType::i64), &split_gen).to_vector<std::int64_t>();
    const auto n_test = std::min<std::int64_t>(total / 5, 500);
    const std::vector<std::int64_t> test(perm.begin(), perm.begin() + n_test), train(perm.begin() + n_test, perm.end());
    fmt::print("adding two {}-digit numbers: {} training pairs, {} held out\n", task.ndigit, train.size(), test.size());

    models::Gpt model(models::GptConfig::preset("gpt-nano", 10, task.seq_len() - 1));
    model.to(device);
    fmt::print("gpt-nano: {} parameters\n", model.num_parameters());
    ex::gpt_lab::TrainSettings settings;
    settings.lr = lr;
    auto opt = ex::gpt_lab::make_optimizer(model, settings);

    Generator batch_gen(opts.seed + 2);
    ex::LossCurve curve;
    std::vector<double> eval_steps, eval_acc;
    const std::int64_t eval_every = std::max<std::int64_t>(1, opts.steps / 10);
    for (std::int64_t step = 1; step <= opts.steps; ++step) {
        const auto picks = randint(0, static_cast<std::int64_t>(train.size()), {batch}, TensorOptions(DType::i64),
                                   &batch_gen).to_vector<std::int64_t>();
        std::vector<std::int64_t> problems;
        for (std::int64_t i : picks) problems.push_back(train[i]);
        const auto [x, y] = make_batch(task, problems, device);
        opt->set_lr(ex::gpt_lab::cosine_lr(lr, step, opts.steps));
        curve.add(step, ex::gpt_lab::train_step(model, *opt, x, y, settings.grad_clip));
        if (step % eval_every == 0 || step == opts.steps) {
            eval_steps.push_back(static_cast<double>(step));
            eval_acc.push_back(score(model, task, test, device));
            fmt::print("step {:5d}  loss {:.4f}  held-out exact match {:.3f}\n", step, curve.last(), eval_acc.back());
        }
    }
    curve.print_summary();
    std::vector<std::string> wrong;
    const double test_acc = score(model, task, test, device, &wrong);
    const std::vector<std::int64_t> train_sample(train.begin(), train.begin() + std::min<std::size_t>(2000, train.size()));
    const double train_acc = score(model, task, train_sample, device);
    fmt::print("exact match: held-out {:.4f}, training pairs {:.4f}\n", test_acc, train_acc);
    if (!wrong.empty()) {
        fmt::print("held-out mistakes:\n");
        for (const auto& w : wrong) fmt::print("  {}\n", w);
    }
    fmt::print("a few held-out sums:\n");
    for (std::int64_t i = 0; i < std::min<std::int64_t>(5, n_test); ++i) {
        const auto seq = task.sequence(test[i]);
        std::string shown;
        for (std::int64_t t = 0; t < task.seq_len(); ++t)
            shown += fmt::format("{}{}", t == task.prompt_len() ? " | " : "", seq[t]);
        fmt::print("  {} + {}: sequence {} (sum reversed after the bar)\n", test[i] / task.modulus(),
                   test[i] % task.modulus(), shown);
    }

    const ex::Results results(opts.out);
    results.record("loss", curve.last());
    results.record("accuracy", test_acc);
    results.record("train_accuracy", train_acc);
    curve.save(opts.out, "gpt-nano adding numbers: training loss");
    const auto dat = std::filesystem::path(opts.out) / "accuracy.dat";
    ex::write_columns(dat, {"step", "exact_match"}, {eval_steps, eval_acc});
    ex::render_png(std::filesystem::path(opts.out) / "accuracy.png",
                   fmt::format("set title 'held-out exact-match accuracy'\nset xlabel 'step'\nset yrange [0:1]\n"
                               "set grid\nplot '{}' using 1:2 with linespoints lw 2 title 'sums right'",
                               dat.string()));
}

}  // namespace

int main(int argc, char** argv) {
    AdderTask task;
    std::int64_t batch = 64;
    double lr = 1e-3;
    int threads = 1;
    ex::ExampleOptions defaults;
    defaults.steps = 2000;
    return ex::run_example(
        argc, argv, {"gpt_adder", "gpt-nano learns to add two numbers (minGPT's adder demo)"}, defaults,
        [&](CLI::App& app) {
            app.add_option("--ndigit", task.ndigit, "digits per operand")->capture_default_str();
            app.add_option("--batch", batch, "problems per step")->capture_default_str()->check(CLI::PositiveNumber);
            app.add_option("--lr", lr, "peak AdamW learning rate (cosine decay to a tenth)")->capture_default_str();
            app.add_option("--threads", threads, "OpenMP threads (0: OpenMP's default)")->capture_default_str();
        },
        [&](const ex::ExampleOptions& opts) { run(opts, task, batch, lr, threads); });
}
