// Chapter 2: skip-gram word embeddings on a small Spanish corpus whose words
// fall into five classes (animals, colours, verbs, places, time words).
// Words of one class appear between the same neighbours, so with a window of
// +-1 word their vectors should end up close. Two models learn from the same
// (word, context) pairs: skip-gram with negative sampling (Adam, binary
// cross-entropy) and the original skip-gram with a softmax over the whole
// vocabulary (negative log-likelihood). For each: nearest neighbours by cosine
// similarity, a purity score of those neighbours, and a 2-D PCA plot.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include "examples/common/example.h"
#include "examples/common/pca.h"
#include "examples/common/plot.h"
#include "examples/common/results.h"
#include "examples/common/words.h"
#include "models/guide/skip_gram.h"
#include "nn/optim/adam.h"
#include "peso.h"

using namespace peso;
namespace ex = peso::examples;
namespace fs = std::filesystem;

namespace {

struct Flags {
    std::string data = PESO_EXAMPLES_DATA;
    std::int64_t dim = 16;
    std::int64_t batch = 256;
    std::int64_t negatives = 5;
    double lr = 0.01;
    std::int64_t neighbours = 3;  // k of the purity score
};

struct Corpus {
    std::vector<std::vector<std::string>> sentences;
    ex::Vocabulary vocab;
    std::vector<std::string> class_names;
    std::map<std::int64_t, std::int64_t> word_class;  // word id -> class index, for the class words
    Tensor word;                                      // (P) int64: the centre word of every (word, context) pair
    Tensor context;                                   // (P) int64: a word right before or after it
    Tensor noise;  // (V) float: unigram counts^0.75, the negative-sampling distribution
};

Corpus load_corpus(const fs::path& dir, Device device) {
    Corpus c;
    for (const std::string& line : ex::read_lines(dir / "ch2_animales.txt"))
        c.sentences.push_back(ex::split_words(line));
    c.vocab = ex::Vocabulary::from_sentences(c.sentences);
    for (const std::string& line : ex::read_lines(dir / "ch2_word_classes.txt")) {
        const std::vector<std::string> words = ex::split_words(line);
        PESO_CHECK(words.size() >= 3, ValueError, "ch2_word_classes.txt: line '{}' is not 'class word word...'", line);
        c.class_names.push_back(words[0]);
        for (std::size_t i = 1; i < words.size(); ++i)
            c.word_class[c.vocab.id(words[i])] = static_cast<std::int64_t>(c.class_names.size()) - 1;
    }
    // Window +-1 inside each sentence.
    std::vector<std::int64_t> word, context;
    for (const auto& s : c.sentences)
        for (std::size_t i = 0; i < s.size(); ++i)
            for (std::size_t j : {i - 1, i + 1})
                if (j < s.size()) {  // i - 1 wraps to a huge value at i = 0
                    word.push_back(c.vocab.id(s[i]));
                    context.push_back(c.vocab.id(s[j]));
                }
    c.word = to_device(from_vector(word), device);
    c.context = to_device(from_vector(context), device);
    // Raising counts to 3/4 (word2vec's choice) samples rare words more
    // often than their frequency would.
    std::vector<float> weights;
    for (std::int64_t n : c.vocab.counts())
        weights.push_back(static_cast<float>(std::pow(static_cast<double>(n), 0.75)));
    c.noise = to_device(from_vector(weights), device);
    return c;
}

double scalar(const Tensor& t) { return to_dtype(t.detach(), DType::f64).item<double>(); }

// (V, V) cosine similarities of the rows of `e`, on the CPU in float64.
std::vector<std::vector<double>> cosine_matrix(const Tensor& e) {
    NoGradGuard no_grad;
    const Tensor x = to_dtype(to_device(e.detach(), Device::cpu()), DType::f64);
    const Tensor unit = div(x, sqrt(sum(mul(x, x), {1}, true)));
    const Tensor cos = matmul(unit, unit.t()).contiguous();
    const std::int64_t v = e.size(0);
    const std::vector<double> flat = cos.to_vector<double>();
    std::vector<std::vector<double>> rows(static_cast<std::size_t>(v));
    for (std::int64_t i = 0; i < v; ++i) rows[i].assign(flat.begin() + i * v, flat.begin() + (i + 1) * v);
    return rows;
}

// The k most similar other words of word i.
std::vector<std::int64_t> nearest(const std::vector<std::vector<double>>& cos, std::int64_t i, std::int64_t k) {
    std::vector<std::int64_t> order;
    for (std::int64_t j = 0; j < static_cast<std::int64_t>(cos.size()); ++j)
        if (j != i) order.push_back(j);
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return cos[i][a] > cos[i][b]; });
    order.resize(static_cast<std::size_t>(std::min<std::int64_t>(k, static_cast<std::int64_t>(order.size()))));
    return order;
}

struct Score {
    double purity;  // fraction of the class words' k nearest neighbours (among all words) in their own class
    double margin;  // mean cosine within a class minus mean cosine across classes
};

Score score(const Corpus& c, const std::vector<std::vector<double>>& cos, std::int64_t k) {
    double same = 0, total = 0, within = 0, across = 0, n_within = 0, n_across = 0;
    for (const auto& [i, ci] : c.word_class) {
        for (std::int64_t j : nearest(cos, i, k)) {
            const auto it = c.word_class.find(j);
            same += (it != c.word_class.end() && it->second == ci) ? 1 : 0;
            total += 1;
        }
        for (const auto& [j, cj] : c.word_class) {
            if (j == i) continue;
            (ci == cj ? within : across) += cos[i][j];
            (ci == cj ? n_within : n_across) += 1;
        }
    }
    return {same / total, within / n_within - across / n_across};
}

void print_neighbours(const Corpus& c, const std::vector<std::vector<double>>& cos) {
    std::vector<std::int64_t> probes;  // the first word of each class
    for (std::size_t k = 0; k < c.class_names.size(); ++k)
        for (const auto& [id, cls] : c.word_class)
            if (cls == static_cast<std::int64_t>(k)) {
                probes.push_back(id);
                break;
            }
    probes.push_back(c.vocab.id("el"));
    for (std::int64_t i : probes) {
        std::string line;
        for (std::int64_t j : nearest(cos, i, 5)) line += fmt::format("  {} {:.2f}", c.vocab.word(j), cos[i][j]);
        fmt::print("  {:<8} ->{}\n", c.vocab.word(i), line);
    }
}

// The class words projected on the embeddings' top two principal directions,
// drawn as labels coloured by class (numbers and words in embeddings.dat).
void plot_embeddings(const Corpus& c, const Tensor& embeddings, const fs::path& dir, const std::string& title) {
    std::vector<std::int64_t> ids;
    for (const auto& [id, cls] : c.word_class) ids.push_back(id);
    const Tensor rows = index_select(embeddings.detach(), 0, to_device(from_vector(ids), embeddings.device()));
    const ex::Projection p = ex::pca(rows, 2);
    const fs::path dat = dir / "embeddings.dat";
    {
        std::ofstream f(dat);
        PESO_CHECK(f.good(), IOError, "cannot write {}", dat.string());
        f << "# pc1 pc2 class word\n";
        for (std::size_t i = 0; i < ids.size(); ++i)
            f << fmt::format("{:.6g} {:.6g} {} {}\n", p.points[i][0], p.points[i][1], c.word_class.at(ids[i]),
                             c.vocab.word(ids[i]));
    }
    static const char* colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};
    std::string plots;
    for (std::size_t k = 0; k < c.class_names.size(); ++k)
        plots += fmt::format(
            "{}'{}' using 1:($3 == {} ? $2 : 1/0):4 with labels offset 0.6,0.6 tc rgb '{}' point pt 7 ps 1 lc rgb '{}' "
            "title '{}'",
            k ? ", \\\n     " : "", dat.string(), k, colours[k % 6], colours[k % 6], c.class_names[k]);
    ex::render_png(dir / "embeddings.png",
                   fmt::format("set title '{} (PCA: {:.0f}% + {:.0f}% of the variance)'\nset xlabel 'PC1'\n"
                               "set ylabel 'PC2'\nset grid\nset key outside right\nset offsets graph 0.08, graph 0.08, "
                               "graph 0.08, graph 0.08\nplot {}",
                               title, 100 * p.explained[0], 100 * p.explained[1], plots),
                   900, 650);
}

struct Outcome {
    ex::LossCurve curve;
    Tensor embeddings;
};

void report(const std::string& key, const std::string& title, const Corpus& c, const Outcome& o, const Flags& flags,
            const ex::ExampleOptions& opts) {
    const fs::path dir = fs::path(opts.out) / key;
    fs::create_directories(dir);
    fmt::print("\n== {} ==\n", title);
    o.curve.print_summary();
    const auto cos = cosine_matrix(o.embeddings);
    fmt::print("nearest neighbours by cosine similarity:\n");
    print_neighbours(c, cos);
    const Score s = score(c, cos, flags.neighbours);
    const ex::Results results(opts.out);
    results.record(key + "_loss_first", o.curve.first());
    results.record(key + "_loss_last", o.curve.last());
    results.record(key + "_purity", s.purity);
    results.record(key + "_margin", s.margin);
    o.curve.save(dir, title + ": training loss");
    plot_embeddings(c, o.embeddings, dir, title);
}

// One minibatch of pairs, drawn with replacement.
std::pair<Tensor, Tensor> sample_pairs(const Corpus& c, std::int64_t batch) {
    const Tensor idx = to_device(randint(0, c.word.size(0), {batch}), c.word.device());
    return {index_select(c.word, 0, idx), index_select(c.context, 0, idx)};
}

Outcome train_negative_sampling(const Corpus& c, const Flags& flags, const ex::ExampleOptions& opts, Device device) {
    models::SkipGramNegativeSampling model(c.vocab.size(), flags.dim);
    model.to(device);
    nn::optim::Adam adam(model.parameters(), {.lr = flags.lr});
    Outcome o;
    for (std::int64_t step = 1; step <= opts.steps; ++step) {
        const auto [word, context] = sample_pairs(c, flags.batch);
        const Tensor negatives =
            multinomial(c.noise, flags.batch * flags.negatives, true).view({flags.batch, flags.negatives});
        const Tensor loss = model.loss(word, context, negatives);
        adam.zero_grad();
        loss.backward();
        adam.step();
        if (step == 1 || step % 10 == 0) o.curve.add(step, scalar(loss));
    }
    o.embeddings = model.embeddings();
    return o;
}

Outcome train_softmax(const Corpus& c, const Flags& flags, const ex::ExampleOptions& opts, Device device) {
    models::SkipGramSoftmax model(c.vocab.size(), flags.dim);
    model.to(device);
    nn::optim::Adam adam(model.parameters(), {.lr = flags.lr});
    Outcome o;
    for (std::int64_t step = 1; step <= opts.steps; ++step) {
        const auto [word, context] = sample_pairs(c, flags.batch);
        const Tensor loss = model.loss(word, context);
        adam.zero_grad();
        loss.backward();
        adam.step();
        if (step == 1 || step % 10 == 0) o.curve.add(step, scalar(loss));
    }
    o.embeddings = model.embeddings();
    return o;
}

void run(const ex::ExampleOptions& opts, const Flags& flags) {
    PESO_CHECK(flags.dim >= 2 && flags.batch >= 1 && flags.negatives >= 1 && flags.lr > 0 && flags.neighbours >= 1,
               ValueError, "--dim must be >= 2 and --batch, --negatives, --lr, --neighbours positive");
    const Device device = ex::example_device(opts);
    const Corpus c = load_corpus(flags.data, device);
    fmt::print("corpus: {} sentences, {} words in the vocabulary, {} (word, context) pairs (window +-1), {} classes\n",
               c.sentences.size(), c.vocab.size(), c.word.size(0), c.class_names.size());
    report("negative_sampling", "skip-gram with negative sampling", c, train_negative_sampling(c, flags, opts, device),
           flags, opts);
    report("softmax", "skip-gram with a full softmax", c, train_softmax(c, flags, opts, device), flags, opts);
    fmt::print("\nplots: {0}/negative_sampling/embeddings.png, {0}/softmax/embeddings.png (and loss.png in each)\n",
               opts.out);
}

}  // namespace

int main(int argc, char** argv) {
    Flags flags;
    return ex::run_example(
        argc, argv, {"skip_gram", "Skip-gram embeddings (negative sampling and full softmax) on a Spanish corpus"},
        {.steps = 1500},
        [&](CLI::App& app) {
            app.add_option("--data", flags.data, "folder with ch2_animales.txt and ch2_word_classes.txt")
                ->capture_default_str();
            app.add_option("--dim", flags.dim, "embedding size")->capture_default_str();
            app.add_option("--batch", flags.batch, "(word, context) pairs per step")->capture_default_str();
            app.add_option("--negatives", flags.negatives, "negative samples per pair")->capture_default_str();
            app.add_option("--lr", flags.lr, "Adam learning rate")->capture_default_str();
            app.add_option("--neighbours", flags.neighbours, "neighbours per word in the purity score")
                ->capture_default_str();
        },
        [&](const ex::ExampleOptions& opts) { run(opts, flags); });
}
