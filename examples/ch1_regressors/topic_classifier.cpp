// Chapter 1 (b): softmax regression as a topic classifier. Each sentence
// becomes a bag of words (how many times each vocabulary word occurs); the
// model learns one weight per (topic, word) pair with minibatch SGD on the
// negative log-likelihood. The trained weights go to a safetensors file (the
// vocabulary and topics in its metadata) and come back into a freshly built
// model, which must predict exactly as the trained one.
#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "examples/common/example.h"
#include "examples/common/plot.h"
#include "examples/common/results.h"
#include "examples/common/words.h"
#include "models/guide/softmax_regression.h"
#include "nn/data/dataloader.h"
#include "nn/optim/sgd.h"
#include "nn/serialization/module_io.h"
#include "peso.h"

using namespace peso;
namespace ex = peso::examples;
namespace fs = std::filesystem;

namespace {

struct Flags {
    std::string data = PESO_EXAMPLES_DATA;
    double lr = 0.5;
    std::int64_t batch = 8;
};

struct Labelled {
    std::vector<std::string> sentences;
    std::vector<std::vector<std::string>> words;
    std::vector<std::string> topics;  // one per sentence
};

// "topic<TAB>sentence" lines.
Labelled read_topics(const fs::path& file) {
    Labelled out;
    for (const std::string& line : ex::read_lines(file)) {
        const auto tab = line.find('\t');
        PESO_CHECK(tab != std::string::npos && tab > 0, ValueError, "{}: line '{}' is not 'topic<TAB>sentence'",
                   file.string(), line);
        out.topics.push_back(line.substr(0, tab));
        out.sentences.push_back(line.substr(tab + 1));
        out.words.push_back(ex::split_words(out.sentences.back()));
    }
    return out;
}

// (N, V) word counts; words outside the vocabulary (test sentences) are dropped.
Tensor bag_of_words(const std::vector<std::vector<std::string>>& sentences, const ex::Vocabulary& vocab) {
    std::vector<float> counts(sentences.size() * static_cast<std::size_t>(vocab.size()), 0.f);
    for (std::size_t i = 0; i < sentences.size(); ++i)
        for (const std::string& w : sentences[i])
            if (const auto id = vocab.find(w)) counts[i * static_cast<std::size_t>(vocab.size()) + *id] += 1.f;
    return from_vector(counts, Dims{static_cast<std::int64_t>(sentences.size()), vocab.size()});
}

Tensor topic_ids(const std::vector<std::string>& topics, const ex::Vocabulary& names) {
    std::vector<std::int64_t> ids;
    for (const auto& t : topics) ids.push_back(names.id(t));
    return from_vector(ids);
}

double scalar(const Tensor& t) { return to_dtype(t.detach(), DType::f64).item<double>(); }

double accuracy(const Tensor& predicted, const Tensor& y) {
    return scalar(mean(to_dtype(eq(predicted, y), DType::f64)));
}

std::string join(const std::vector<std::string>& words, const std::string& sep) {
    std::string s;
    for (std::size_t i = 0; i < words.size(); ++i) s += (i ? sep : "") + words[i];
    return s;
}

// The `k` words whose weight pushes most towards each topic, and a heatmap of
// their weights under every topic.
void show_top_words(const models::SoftmaxRegression& model, const ex::Vocabulary& vocab, const ex::Vocabulary& topics,
                    std::int64_t k, const fs::path& out) {
    const Tensor w = to_dtype(to_device(model.linear->weight.detach(), Device::cpu()), DType::f64).contiguous();
    const std::vector<double> flat = w.to_vector<double>();
    const auto at = [&](std::int64_t topic, std::int64_t word) { return flat[topic * vocab.size() + word]; };
    std::vector<std::int64_t> chosen;
    for (std::int64_t t = 0; t < topics.size(); ++t) {
        std::vector<std::int64_t> order(vocab.size());
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return at(t, a) > at(t, b); });
        std::vector<std::string> words;
        for (std::int64_t i = 0; i < k; ++i) {
            words.push_back(vocab.word(order[i]));
            chosen.push_back(order[i]);
        }
        fmt::print("  {:<11} {}\n", topics.word(t), join(words, ", "));
    }
    std::vector<std::vector<double>> rows;
    for (std::int64_t t = 0; t < topics.size(); ++t) {
        rows.emplace_back();
        for (std::int64_t id : chosen) rows.back().push_back(at(t, id));
    }
    ex::write_matrix(out / "top_word_weights.dat", rows);
    std::string xtics, ytics;
    for (std::size_t i = 0; i < chosen.size(); ++i)
        xtics += fmt::format("{}'{}' {}", i ? ", " : "", vocab.word(chosen[i]), i);
    for (std::int64_t t = 0; t < topics.size(); ++t)
        ytics += fmt::format("{}'{}' {}", t ? ", " : "", topics.word(t), t);
    ex::render_png(
        out / "top_word_weights.png",
        fmt::format("set title 'softmax regression: weight of each topic''s top words'\n"
                    "set xtics ({}) rotate by 60 right\nset ytics ({})\n"
                    "set palette defined (-1 '#2166ac', 0 'white', 1 '#b2182b')\nset cbrange [-{m}:{m}]\n"
                    "set xrange [-0.5:{}]\nset yrange [-0.5:{}]\n"
                    "plot '{}' matrix with image notitle",
                    xtics, ytics, static_cast<double>(chosen.size()) - 0.5, static_cast<double>(topics.size()) - 0.5,
                    (out / "top_word_weights.dat").string(), fmt::arg("m", scalar(amax(abs(w))))),
        1000, 420);
}

void run(const ex::ExampleOptions& opts, const Flags& flags) {
    PESO_CHECK(flags.lr > 0 && flags.batch >= 1, ValueError, "--lr and --batch must be positive");
    const Device device = ex::example_device(opts);
    const Labelled train = read_topics(fs::path(flags.data) / "ch1_topics_train.txt");
    const Labelled test = read_topics(fs::path(flags.data) / "ch1_topics_test.txt");
    const ex::Vocabulary vocab = ex::Vocabulary::from_sentences(train.words);
    ex::Vocabulary topics;
    for (const auto& t : train.topics) topics.add(t);
    fmt::print("data: {} training and {} test sentences, {} topics, {} words in the vocabulary\n",
               train.sentences.size(), test.sentences.size(), topics.size(), vocab.size());

    const Tensor x_train = to_device(bag_of_words(train.words, vocab), device);
    const Tensor y_train = to_device(topic_ids(train.topics, topics), device);
    const Tensor x_test = to_device(bag_of_words(test.words, vocab), device);
    const Tensor y_test = to_device(topic_ids(test.topics, topics), device);

    models::SoftmaxRegression model(vocab.size(), topics.size());
    model.to(device);
    nn::optim::SGD sgd(model.parameters(), {.lr = flags.lr});
    nn::data::DataLoader<> loader(std::make_shared<nn::data::TensorDataset>(std::vector<Tensor>{x_train, y_train}),
                                  {.batch_size = flags.batch, .shuffle = true, .seed = opts.seed});

    ex::LossCurve curve;
    for (std::int64_t step = 1; step <= opts.steps;) {
        for (auto batch = loader.next(); batch && step <= opts.steps; batch = loader.next(), ++step) {
            const Tensor loss = model.loss((*batch)[0], (*batch)[1]);
            sgd.zero_grad();
            loss.backward();
            sgd.step();
            curve.add(step, scalar(loss));
        }
    }
    curve.print_summary();

    NoGradGuard no_grad;
    fmt::print("the words that weigh most for each topic:\n");
    show_top_words(model, vocab, topics, 8, opts.out);
    const Tensor probs = exp(model.forward(x_test));
    const std::vector<std::int64_t> predicted =
        to_device(model.predict(x_test), Device::cpu()).to_vector<std::int64_t>();
    fmt::print("held-out sentences:\n");
    for (std::size_t i = 0; i < test.sentences.size(); ++i)
        fmt::print("  {} {:<11} (p = {:.2f}, truth {:<10}) {}\n",
                   test.topics[i] == topics.word(predicted[i]) ? "ok " : "BAD", topics.word(predicted[i]),
                   scalar(probs[static_cast<std::int64_t>(i)][predicted[i]]), test.topics[i], test.sentences[i]);

    // Save, then load into a model built from scratch (other random weights).
    const fs::path weights = fs::path(opts.out) / "topic_classifier.safetensors";
    std::vector<std::string> words, topic_names;
    for (std::int64_t i = 0; i < vocab.size(); ++i) words.push_back(vocab.word(i));
    for (std::int64_t i = 0; i < topics.size(); ++i) topic_names.push_back(topics.word(i));
    nn::save_module(model, weights.string(), {{"vocabulary", join(words, " ")}, {"topics", join(topic_names, " ")}});
    models::SoftmaxRegression fresh(vocab.size(), topics.size());
    fresh.to(device);
    const double before = accuracy(fresh.predict(x_test), model.predict(x_test));
    const nn::Metadata meta = nn::load_module(fresh, weights.string());
    PESO_CHECK(meta.at("vocabulary") == join(words, " "), ValueError, "{}: the vocabulary did not survive",
               weights.string());
    const double reload_diff = scalar(amax(abs(sub(fresh.forward(x_test), model.forward(x_test)))));
    const bool same = equal(fresh.predict(x_test), model.predict(x_test));
    fmt::print(
        "saved {} ({} parameters); a fresh model agreed on {:.0f}% of the test predictions before loading, "
        "{} after (max |log p difference| = {:.3g})\n",
        weights.string(), model.num_parameters(), 100 * before, same ? "all" : "NOT all", reload_diff);

    const ex::Results results(opts.out);
    results.record("loss", curve.last());
    results.record("train_accuracy", accuracy(model.predict(x_train), y_train));
    results.record("test_accuracy", accuracy(model.predict(x_test), y_test));
    results.record("reload_max_abs_diff", reload_diff);
    results.record("reload_same_predictions", same ? 1.0 : 0.0);
    curve.save(opts.out, "softmax regression topic classifier: training loss (NLL)");
}

}  // namespace

int main(int argc, char** argv) {
    Flags flags;
    return ex::run_example(
        argc, argv, {"topic_classifier", "Softmax regression over bags of words: a 3-topic sentence classifier"},
        {.steps = 300},
        [&](CLI::App& app) {
            app.add_option("--data", flags.data, "folder with ch1_topics_{train,test}.txt")->capture_default_str();
            app.add_option("--lr", flags.lr, "SGD learning rate")->capture_default_str();
            app.add_option("--batch", flags.batch, "sentences per minibatch")->capture_default_str();
        },
        [&](const ex::ExampleOptions& opts) { run(opts, flags); });
}
