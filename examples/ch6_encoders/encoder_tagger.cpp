// A part-of-speech tagger made of a transformer encoder and a linear layer
// over each position's contextual vector, trained from scratch on a handful
// of tagged sentences. Words it never saw in training are read as [UNK];
// training shows 10% of the words as [UNK] so that it learns to tag an
// unknown word from its neighbours.
#include <fmt/format.h>
#include <omp.h>

#include <algorithm>

#include "examples/ch6_encoders/tagging.h"
#include "examples/common/example.h"
#include "examples/common/plot.h"
#include "examples/common/results.h"
#include "peso.h"

using namespace peso;
namespace ex = peso::examples;
namespace ch6 = peso::examples::ch6;
namespace fs = std::filesystem;

namespace {

struct Settings {
    std::string data = PESO_EXAMPLES_DATA;
    std::int64_t batch = 16;
    double lr = 1e-3;
    double word_dropout = 0.1;
    int threads = 1;
};

void save_confusion(const fs::path& out, const ch6::TagScore& score, const ch6::TagSet& tags) {
    const fs::path dat = out / "confusion.dat";
    ex::write_matrix(dat, score.confusion);
    std::string labels;
    for (std::int64_t i = 0; i < tags.size(); ++i) labels += fmt::format("{}'{}' {}", i ? ", " : "", tags.name(i), i);
    ex::render_png(out / "confusion.png",
                   fmt::format("set title 'test words: gold tag (rows) vs predicted tag (columns)'\n"
                               "set xtics ({0}) rotate by 45 right\nset ytics ({0})\nset yrange [] reverse\n"
                               "set palette defined (0 'white', 1 'steelblue')\nunset key\n"
                               "plot '{1}' matrix with image, '{1}' matrix using 1:2:(sprintf('%d', $3)) with labels",
                               labels, dat.string()),
                   700, 650);
}

void run(const ex::ExampleOptions& opts, const Settings& s) {
    PESO_CHECK(s.threads >= 0, ValueError, "--threads must be >= 0, got {}", s.threads);
    if (s.threads > 0) omp_set_num_threads(s.threads);
    (void)ex::example_device(opts);
    const auto train = ch6::read_tagged(fs::path(s.data) / "ch6_pos_train.txt");
    const auto test = ch6::read_tagged(fs::path(s.data) / "ch6_pos_test.txt");
    const ch6::TagSet tags(train);
    const auto training_words = ch6::words_of(train);
    ch6::Vocab vocab;
    for (const auto& w : training_words) vocab.add(w);
    fmt::print("{} training sentences ({} distinct words), {} test sentences, {} tags\n", train.size(),
               training_words.size(), test.size(), tags.size());

    models::BertConfig config;
    config.vocab_size = vocab.size();
    config.pad_id = ch6::kPad;
    models::EncoderTagger tagger(config, tags.size());
    fmt::print("tagger: {} layers, {} heads, d = {}; {} parameters\n", config.n_layer, config.n_head, config.d_model,
               tagger.num_parameters());
    ch6::TaggerTraining t;
    t.steps = opts.steps;
    t.batch = s.batch;
    t.lr = s.lr;
    t.word_dropout = s.word_dropout;
    Generator gen(opts.seed);
    tagger.train();
    const ex::LossCurve curve = ch6::train_tagger(tagger, tagger.parameters(), train, vocab, tags, t, gen);
    curve.print_summary();

    const ch6::TagScore train_score = ch6::evaluate_tagger(tagger, train, vocab, tags, training_words);
    const ch6::TagScore score = ch6::evaluate_tagger(tagger, test, vocab, tags, training_words);
    fmt::print("accuracy over words ([CLS], [SEP] and padding excluded): training {:.3f}, test {:.3f} "
               "({} words; {:.3f} on the {} unknown to the tagger)\n",
               train_score.accuracy, score.accuracy, score.words, score.unseen_accuracy, score.unseen_words);
    fmt::print("test sentences (word/predicted, * marks a mistake, ? a word unknown to the tagger):\n");
    for (std::size_t i = 0; i < std::min<std::size_t>(5, test.size()); ++i) {
        std::string line;
        for (std::size_t w = 0; w < test[i].words.size(); ++w) {
            const bool wrong = score.predicted[i][w] != test[i].tags[w];
            line += fmt::format("{}{}/{}{} ", training_words.count(test[i].words[w]) ? "" : "?", test[i].words[w],
                                score.predicted[i][w], wrong ? "*" : "");
        }
        fmt::print("  {}\n", line);
    }

    const ex::Results results(opts.out);
    results.record("loss", curve.last());
    results.record("train_accuracy", train_score.accuracy);
    results.record("accuracy", score.accuracy);
    results.record("unseen_accuracy", score.unseen_accuracy);
    curve.save(opts.out, "encoder tagger: training loss");
    save_confusion(opts.out, score, tags);
}

}  // namespace

int main(int argc, char** argv) {
    Settings s;
    ex::ExampleOptions defaults;
    defaults.steps = 400;
    return ex::run_example(
        argc, argv, {"encoder_tagger", "a transformer-encoder part-of-speech tagger trained from scratch"}, defaults,
        [&](CLI::App& app) {
            app.add_option("--data", s.data, "folder with ch6_pos_train.txt and ch6_pos_test.txt")
                ->capture_default_str();
            app.add_option("--batch", s.batch, "sentences per step")->capture_default_str()->check(CLI::PositiveNumber);
            app.add_option("--lr", s.lr, "AdamW learning rate")->capture_default_str();
            app.add_option("--word-dropout", s.word_dropout, "chance a training word is shown as [UNK]")
                ->capture_default_str();
            app.add_option("--threads", s.threads, "OpenMP threads (0: OpenMP's default)")->capture_default_str();
        },
        [&](const ex::ExampleOptions& opts) { run(opts, s); });
}
