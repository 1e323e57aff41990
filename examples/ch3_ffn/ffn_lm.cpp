// Chapter 3: feed-forward language models. Two models predict the next word
// of a sentence from the 3 words before it, trained on the same corpus of
// short Spanish sentences: Bengio et al.'s neural LM (tanh hidden layer plus
// direct connections from the embeddings to the output) and an
// Embedding -> Linear + ReLU -> Linear -> log_softmax network. Both train with
// Adam on minibatches from nn::data::DataLoader; each reports its perplexity
// on the training sentences and on held-out ones, its top-3 accuracy on the
// held-out next words, its top-3 guesses for a few contexts, and a PCA plot of
// its word embeddings.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "examples/common/example.h"
#include "examples/common/pca.h"
#include "examples/common/plot.h"
#include "examples/common/results.h"
#include "examples/common/words.h"
#include "models/guide/bengio_lm.h"
#include "models/guide/ffn_lm.h"
#include "nn/data/dataloader.h"
#include "nn/losses.h"
#include "nn/optim/adam.h"
#include "peso.h"

using namespace peso;
namespace ex = peso::examples;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kContext = 3;
const char* const kBos = "<s>";
const char* const kEos = "</s>";

struct Flags {
    std::string data = PESO_EXAMPLES_DATA;
    std::int64_t dim = 16;
    std::int64_t hidden = 64;
    std::int64_t batch = 64;
    double lr = 0.005;
    double held_out = 0.15;  // fraction of the sentences kept for evaluation
};

struct Examples {
    Tensor context;  // (N, 3) int64
    Tensor target;   // (N) int64
};

struct Corpus {
    ex::Vocabulary vocab{{kBos, kEos}};
    Examples train, test;
    std::int64_t train_sentences = 0, test_sentences = 0;
};

// Every position of every sentence, with the 3 words before it; a sentence
// starts after three <s> and ends with </s>, so the model also learns how
// sentences begin and end.
Examples make_examples(const std::vector<std::vector<std::string>>& sentences, const ex::Vocabulary& vocab,
                       Device device) {
    std::vector<std::int64_t> context, target;
    for (const auto& s : sentences) {
        std::vector<std::int64_t> ids(kContext, vocab.id(kBos));
        for (const auto& w : s) ids.push_back(vocab.id(w));
        ids.push_back(vocab.id(kEos));
        for (std::size_t t = kContext; t < ids.size(); ++t) {
            context.insert(context.end(), ids.begin() + static_cast<std::ptrdiff_t>(t - kContext),
                           ids.begin() + static_cast<std::ptrdiff_t>(t));
            target.push_back(ids[t]);
        }
    }
    const auto n = static_cast<std::int64_t>(target.size());
    return {to_device(from_vector(context, Dims{n, kContext}), device), to_device(from_vector(target), device)};
}

Corpus load_corpus(const fs::path& file, double held_out, Device device) {
    std::vector<std::vector<std::string>> sentences;
    for (const std::string& line : ex::read_lines(file)) sentences.push_back(ex::split_words(line));
    const auto n_test = static_cast<std::size_t>(std::round(held_out * static_cast<double>(sentences.size())));
    PESO_CHECK(n_test >= 1 && n_test < sentences.size(), ValueError,
               "--held-out {} leaves no training or no test sentence of {}", held_out, sentences.size());
    const std::vector<std::vector<std::string>> train(sentences.begin(), sentences.end() - n_test),
        test(sentences.end() - n_test, sentences.end());
    Corpus c;
    // The vocabulary comes from all sentences: held-out sentences hold new
    // combinations of known words, not unknown words.
    for (const auto& s : sentences)
        for (const auto& w : s) c.vocab.add(w);
    c.train = make_examples(train, c.vocab, device);
    c.test = make_examples(test, c.vocab, device);
    c.train_sentences = static_cast<std::int64_t>(train.size());
    c.test_sentences = static_cast<std::int64_t>(test.size());
    return c;
}

double scalar(const Tensor& t) { return to_dtype(t.detach(), DType::f64).item<double>(); }

struct Evaluation {
    double perplexity;  // exp(mean negative log-likelihood)
    double top3;        // fraction of next words among the 3 most probable
};

template <typename Model>
Evaluation evaluate(const Model& model, const Examples& e) {
    NoGradGuard no_grad;
    const Tensor logp = model.forward(e.context);
    const double nll = scalar(nn::functional::nll_loss(logp, e.target));
    const auto [values, top] = topk(logp, 3, -1);
    const Tensor hit = any(eq(top, unsqueeze(e.target, 1)), {1});
    return {std::exp(nll), scalar(mean(to_dtype(hit, DType::f64)))};
}

// Perplexity of the held-out words under word frequencies counted on the
// training words: what a model that ignores the context can do.
double unigram_perplexity(const Corpus& c) {
    const std::vector<std::int64_t> train = to_device(c.train.target, Device::cpu()).to_vector<std::int64_t>();
    const std::vector<std::int64_t> test = to_device(c.test.target, Device::cpu()).to_vector<std::int64_t>();
    std::vector<double> counts(static_cast<std::size_t>(c.vocab.size()), 1.0);  // add-one smoothing
    for (std::int64_t t : train) counts[static_cast<std::size_t>(t)] += 1;
    const double total = static_cast<double>(train.size() + counts.size());
    double nll = 0;
    for (std::int64_t t : test) nll -= std::log(counts[static_cast<std::size_t>(t)] / total);
    return std::exp(nll / static_cast<double>(test.size()));
}

template <typename Model>
void print_guesses(const Model& model, const ex::Vocabulary& vocab) {
    NoGradGuard no_grad;
    const std::vector<std::vector<std::string>> contexts = {
        {kBos, kBos, kBos},    {kBos, "el", "niño"},   {"el", "niño", "lee"},    {"lee", "una", "carta"},
        {"carta", "en", "la"}, {"por", "la", "noche"}, {"la", "abuela", "come"}, {"duerme", "en", "la"}};
    for (const auto& words : contexts) {
        std::vector<std::int64_t> ids;
        for (const auto& w : words) ids.push_back(vocab.id(w));
        const Tensor logp =
            model.forward(to_device(from_vector(ids, Dims{1, kContext}), model.parameters()[0].device()));
        const auto [values, top] = topk(squeeze(logp, 0), 3);
        const std::vector<double> p = to_dtype(to_device(exp(values), Device::cpu()), DType::f64).to_vector<double>();
        const std::vector<std::int64_t> t = to_device(top, Device::cpu()).to_vector<std::int64_t>();
        fmt::print("  {:<22} -> {} {:.2f}, {} {:.2f}, {} {:.2f}\n",
                   fmt::format("{} {} {}", words[0], words[1], words[2]), vocab.word(t[0]), p[0], vocab.word(t[1]),
                   p[1], vocab.word(t[2]), p[2]);
    }
}

// Every word but the sentence markers, on the embeddings' top two principal
// directions (numbers and words in embeddings.dat).
void plot_embeddings(const Tensor& table, const ex::Vocabulary& vocab, const fs::path& dir, const std::string& title) {
    const std::int64_t first = 2;  // after <s> and </s>
    const Tensor rows = narrow(table.detach(), 0, first, vocab.size() - first);
    const ex::Projection p = ex::pca(rows, 2);
    const fs::path dat = dir / "embeddings.dat";
    {
        std::ofstream f(dat);
        PESO_CHECK(f.good(), IOError, "cannot write {}", dat.string());
        f << "# pc1 pc2 word\n";
        for (std::size_t i = 0; i < p.points.size(); ++i)
            f << fmt::format("{:.6g} {:.6g} {}\n", p.points[i][0], p.points[i][1],
                             vocab.word(first + static_cast<std::int64_t>(i)));
    }
    ex::render_png(
        dir / "embeddings.png",
        fmt::format("set title '{} (PCA: {:.0f}% + {:.0f}% of the variance)'\nset xlabel 'PC1'\n"
                    "set ylabel 'PC2'\nset grid\nset offsets graph 0.08, graph 0.08, graph 0.08, graph 0.08\n"
                    "plot '{}' using 1:2:3 with labels offset 0.6,0.6 tc rgb '#1f3b73' point pt 7 ps 0.8 "
                    "lc rgb '#d62728' notitle",
                    title, 100 * p.explained[0], 100 * p.explained[1], dat.string()),
        1000, 750);
}

template <typename Model>
void train_and_report(Model& model, const std::string& key, const std::string& title, const Corpus& c,
                      const Flags& flags, const ex::ExampleOptions& opts, const Tensor& table) {
    const fs::path dir = fs::path(opts.out) / key;
    fs::create_directories(dir);
    fmt::print("\n== {} ({} parameters) ==\n", title, model.num_parameters());
    nn::optim::Adam adam(model.parameters(), {.lr = flags.lr});
    nn::data::DataLoader<> loader(
        std::make_shared<nn::data::TensorDataset>(std::vector<Tensor>{c.train.context, c.train.target}),
        {.batch_size = flags.batch, .shuffle = true, .seed = opts.seed});
    ex::LossCurve curve;
    for (std::int64_t step = 1; step <= opts.steps;) {
        // One pass over the shuffled training examples per epoch.
        for (auto batch = loader.next(); batch && step <= opts.steps; batch = loader.next(), ++step) {
            const Tensor loss = model.loss((*batch)[0], (*batch)[1]);
            adam.zero_grad();
            loss.backward();
            adam.step();
            if (step == 1 || step % 10 == 0) curve.add(step, scalar(loss));
        }
    }
    curve.print_summary();
    const Evaluation train = evaluate(model, c.train), test = evaluate(model, c.test);
    fmt::print("perplexity: training {:.3f}, held-out {:.3f}; held-out top-3 accuracy {:.3f}\n", train.perplexity,
               test.perplexity, test.top3);
    fmt::print("top-3 next words:\n");
    print_guesses(model, c.vocab);
    const ex::Results results(opts.out);
    results.record(key + "_loss_first", curve.first());
    results.record(key + "_loss_last", curve.last());
    results.record(key + "_train_ppl", train.perplexity);
    results.record(key + "_test_ppl", test.perplexity);
    results.record(key + "_train_top3", train.top3);
    results.record(key + "_test_top3", test.top3);
    curve.save(dir, title + ": training loss (NLL)");
    plot_embeddings(table, c.vocab, dir, title + ": word embeddings");
}

void run(const ex::ExampleOptions& opts, const Flags& flags) {
    PESO_CHECK(flags.dim >= 2 && flags.hidden >= 1 && flags.batch >= 1 && flags.lr > 0, ValueError,
               "--dim must be >= 2 and --hidden, --batch, --lr positive");
    const Device device = ex::example_device(opts);
    const Corpus c = load_corpus(fs::path(flags.data) / "ch3_rutinas.txt", flags.held_out, device);
    fmt::print("corpus: {} training and {} held-out sentences, {} and {} next-word examples, {} words\n",
               c.train_sentences, c.test_sentences, c.train.target.size(0), c.test.target.size(0), c.vocab.size());
    const double unigram = unigram_perplexity(c);
    fmt::print("a unigram model (no context) has held-out perplexity {:.2f}\n", unigram);
    ex::Results(opts.out).record("unigram_test_ppl", unigram);

    models::BengioLm bengio(
        {.vocab_size = c.vocab.size(), .context = kContext, .dim = flags.dim, .hidden = flags.hidden});
    bengio.to(device);
    train_and_report(bengio, "bengio", "Bengio neural LM", c, flags, opts, bengio.C->weight);

    models::FfnLm ffn({.vocab_size = c.vocab.size(), .context = kContext, .dim = flags.dim, .hidden = flags.hidden});
    ffn.to(device);
    train_and_report(ffn, "ffn", "embedding FFN LM", c, flags, opts, ffn.embedding->weight);
    fmt::print("\nplots: {0}/bengio/embeddings.png, {0}/ffn/embeddings.png (and loss.png in each)\n", opts.out);
}

}  // namespace

int main(int argc, char** argv) {
    Flags flags;
    return ex::run_example(
        argc, argv, {"ffn_lm", "Feed-forward language models (Bengio's and an embedding FFN) over 3-word contexts"},
        {.steps = 1500},
        [&](CLI::App& app) {
            app.add_option("--data", flags.data, "folder with ch3_rutinas.txt")->capture_default_str();
            app.add_option("--dim", flags.dim, "embedding size")->capture_default_str();
            app.add_option("--hidden", flags.hidden, "hidden units")->capture_default_str();
            app.add_option("--batch", flags.batch, "examples per minibatch")->capture_default_str();
            app.add_option("--lr", flags.lr, "Adam learning rate")->capture_default_str();
            app.add_option("--held-out", flags.held_out, "fraction of sentences held out")->capture_default_str();
        },
        [&](const ex::ExampleOptions& opts) { run(opts, flags); });
}
