// Chapter 4 (c): a hand-written LSTM (models/guide/hand_lstm.h) learns the
// language a^n b^n by predicting the next symbol of "S a^n b^n E". After the
// first b every symbol is determined: the network must have counted the a's.
// A string counts as recognized when every determined prediction is right
// (and, while a's are read, the prediction is a or b). Some n inside the
// training range are held out, and longer strings test extrapolation.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "examples/common/example.h"
#include "examples/common/plot.h"
#include "examples/common/results.h"
#include "models/guide/hand_lstm.h"
#include "models/guide/word_vocab.h"
#include "nn/data/dataloader.h"
#include "nn/losses.h"
#include "nn/optim/adam.h"

using namespace peso;

namespace {

// Symbols: padding, start, a, b, end.
constexpr std::int64_t kPad = 0, kStart = 1, kA = 2, kB = 3, kEnd = 4, kSymbols = 5;

struct Flags {
    std::int64_t max_train_n = 16;
    std::vector<std::int64_t> heldout{4, 7, 10, 13};
    std::int64_t max_test_n = 32;
    std::int64_t hidden = 10;
    double lr = 0.01;
};

// Input S a^n b^n and targets a^n b^n E.
std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>> make_string(std::int64_t n) {
    std::vector<std::int64_t> seq{kStart};
    seq.insert(seq.end(), static_cast<std::size_t>(n), kA);
    seq.insert(seq.end(), static_cast<std::size_t>(n), kB);
    seq.push_back(kEnd);
    return {{seq.begin(), seq.end() - 1}, {seq.begin() + 1, seq.end()}};
}

struct Batch {
    Tensor x;        // (B, T, kSymbols) one-hot inputs
    Tensor targets;  // (B, T) int64, kPad after each string's end
    std::vector<std::int64_t> ns;
};

Batch make_batch(const std::vector<std::int64_t>& ns, Device device) {
    std::vector<std::vector<std::int64_t>> in, tgt;
    for (const std::int64_t n : ns) {
        auto [i, t] = make_string(n);
        in.push_back(std::move(i));
        tgt.push_back(std::move(t));
    }
    const Tensor ids = nn::data::pad_sequences(in, {.pad_value = kPad}).tokens;
    return {to_device(to_dtype(one_hot(ids, kSymbols), kDefaultDType), device),
            to_device(nn::data::pad_sequences(tgt, {.pad_value = kPad}).tokens, device), ns};
}

// Whether each string's predictions are all valid (see the top of the file).
std::vector<bool> recognized(models::HandLstm& model, const Batch& batch) {
    NoGradGuard no_grad;
    const Tensor pred = argmax(model.forward(batch.x).logits, -1);  // (B, T)
    const auto p = to_device(pred, Device::cpu()).to_vector<std::int64_t>();
    const std::int64_t T = pred.size(1);
    std::vector<bool> ok;
    for (std::size_t s = 0; s < batch.ns.size(); ++s) {
        const std::int64_t n = batch.ns[s];
        bool good = true;
        for (std::int64_t t = 0; t <= 2 * n && good; ++t) {
            const std::int64_t got = p[s * static_cast<std::size_t>(T) + static_cast<std::size_t>(t)];
            if (t == 0) good = got == kA;                          // after S: an a
            else if (t < n) good = got == kA || got == kB;         // reading a's: a or b
            else if (t == n) good = got == kB || got == kA;        // the last a: either is possible
            else good = got == (t < 2 * n ? kB : kEnd);            // reading b's: determined
        }
        ok.push_back(good);
    }
    return ok;
}

double accuracy(const std::vector<bool>& ok) {
    return static_cast<double>(std::count(ok.begin(), ok.end(), true)) / static_cast<double>(ok.size());
}

std::string show(const std::vector<std::int64_t>& ns, const std::vector<bool>& ok) {
    std::string s;
    for (std::size_t i = 0; i < ns.size(); ++i) s += fmt::format("{}{}{}", i ? " " : "", ns[i], ok[i] ? "+" : "-");
    return s;
}

// The hidden state along one string: the units that count rise with each a
// and fall back with each b.
void plot_states(models::HandLstm& model, std::int64_t n, Device device, const std::filesystem::path& out) {
    NoGradGuard no_grad;
    const Tensor states = to_device(model.forward(make_batch({n}, device).x).states.select(0, 0), Device::cpu());
    const auto H = model.hidden_size();
    const auto values = to_dtype(states, DType::f64).to_vector<double>();
    std::vector<std::vector<double>> rows;
    for (std::int64_t t = 0; t < states.size(0); ++t)
        rows.emplace_back(values.begin() + t * H, values.begin() + (t + 1) * H);
    examples::write_matrix(out / "states.dat", rows);
    examples::render_png(out / "states.png",
                         fmt::format("set title 'hidden state h_t while reading S a^{0} b^{0}'\n"
                                     "set xlabel 't (inputs 1..{0} are a, {1}..{2} are b)'\nset ylabel 'h_t'\n"
                                     "set grid\nset key off\nset xrange [0:{2}]\n"
                                     "plot for [u=1:{3}] '{4}' using 0:u with linespoints",
                                     n, n + 1, 2 * n, H, (out / "states.dat").string()));
}

void run(const examples::ExampleOptions& opts, const Flags& flags) {
    const Device device = examples::example_device(opts);
    const std::set<std::int64_t> heldout(flags.heldout.begin(), flags.heldout.end());
    std::vector<std::int64_t> train_ns, heldout_ns, longer_ns;
    for (std::int64_t n = 1; n <= flags.max_train_n; ++n) (heldout.count(n) ? heldout_ns : train_ns).push_back(n);
    for (std::int64_t n = flags.max_train_n + 1; n <= flags.max_test_n; ++n) longer_ns.push_back(n);
    PESO_CHECK(!train_ns.empty() && !heldout_ns.empty(), ValueError,
               "lstm_anbn: need both training and held-out n in 1..{}", flags.max_train_n);
    const Batch train = make_batch(train_ns, device), held = make_batch(heldout_ns, device);

    models::HandLstm model(kSymbols, flags.hidden, kSymbols);
    model.to(device);
    nn::optim::AdamOptions adam;
    adam.lr = flags.lr;
    nn::optim::Adam optimizer(model.parameters(), adam);
    nn::CrossEntropyLossOptions ce;
    ce.ignore_index = kPad;
    fmt::print("training on n = {}, holding out n = {}\n", fmt::join(train_ns, ","), fmt::join(heldout_ns, ","));

    examples::LossCurve curve;
    std::vector<double> eval_steps, train_acc, held_acc;
    for (std::int64_t step = 1; step <= opts.steps; ++step) {
        const Tensor logits = model.forward(train.x).logits;
        const Tensor loss =
            nn::functional::cross_entropy(logits.reshape({-1, kSymbols}), train.targets.reshape({-1}), ce);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        curve.add(step, loss.item<double>());
        if (step % 100 == 0 || step == opts.steps) {
            eval_steps.push_back(static_cast<double>(step));
            train_acc.push_back(accuracy(recognized(model, train)));
            held_acc.push_back(accuracy(recognized(model, held)));
            fmt::print("step {:5d}  loss {:.4f}  recognized: training n {:.2f}  held-out n {:.2f}\n", step,
                       loss.item<double>(), train_acc.back(), held_acc.back());
        }
    }
    curve.print_summary();
    curve.save(opts.out, "hand-written LSTM on a^n b^n: training loss");
    const std::filesystem::path dat = std::filesystem::path(opts.out) / "accuracy.dat";
    examples::write_columns(dat, {"step", "train", "heldout"}, {eval_steps, train_acc, held_acc});
    examples::render_png(std::filesystem::path(opts.out) / "accuracy.png",
                         fmt::format("set title 'strings recognized'\nset xlabel 'step'\nset yrange [0:1.05]\n"
                                     "set grid\nset key bottom right\n"
                                     "plot '{0}' using 1:2 with linespoints title 'training n', "
                                     "'{0}' using 1:3 with linespoints title 'held-out n'",
                                     dat.string()));

    const auto held_ok = recognized(model, held);
    fmt::print("held-out n (+ recognized, - not): {}\n", show(heldout_ns, held_ok));
    double longer = 0;
    if (!longer_ns.empty()) {
        const auto longer_ok = recognized(model, make_batch(longer_ns, device));
        fmt::print("longer n, never seen:             {}\n", show(longer_ns, longer_ok));
        longer = accuracy(longer_ok);
    }
    plot_states(model, flags.max_train_n, device, opts.out);
    const examples::Results results(opts.out);
    results.record("final_loss", curve.last());
    results.record("train_accuracy", accuracy(recognized(model, train)));
    results.record("heldout_accuracy", accuracy(held_ok));
    results.record("longer_accuracy", longer);
}

}  // namespace

int main(int argc, char** argv) {
    Flags flags;
    examples::ExampleOptions defaults;
    defaults.steps = 2000;
    return examples::run_example(
        argc, argv, {"lstm_anbn", "a hand-written LSTM learns to recognize a^n b^n"}, defaults,
        [&](CLI::App& app) {
            app.add_option("--max-train-n", flags.max_train_n, "largest n in training")->check(CLI::Range(2, 100));
            app.add_option("--heldout", flags.heldout, "values of n left out of training")->capture_default_str();
            app.add_option("--max-test-n", flags.max_test_n, "longest n tried after training")
                ->check(CLI::Range(1, 200));
            app.add_option("--hidden", flags.hidden, "LSTM state size")->check(CLI::PositiveNumber);
            app.add_option("--lr", flags.lr, "Adam learning rate")->check(CLI::PositiveNumber);
        },
        [&](const examples::ExampleOptions& opts) { run(opts, flags); });
}
