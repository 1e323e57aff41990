// Chapter 4 (a): a word-level decoder-only transformer (2 layers, 2 heads,
// d = 64, dropout 0.1, at most 32 tokens) trained on a small corpus written
// for the project. Padded batches, cross-entropy that ignores the padding, a
// LinearLR schedule; prints loss and perplexity, then greedy continuations.
#include <fmt/format.h>

#include <cmath>
#include <fstream>

#include "examples/common/attention_plot.h"
#include "examples/common/example.h"
#include "examples/common/plot.h"
#include "examples/common/results.h"
#include "models/guide/decoder_lm.h"
#include "models/guide/word_vocab.h"
#include "nn/data/dataloader.h"
#include "nn/optim/adam.h"
#include "nn/optim/lr_scheduler.h"

using namespace peso;
using models::WordVocab;

namespace {

struct Flags {
    std::string data = std::string(PESO_EXAMPLES_DATA) + "/ch4_small_world.txt";
    std::int64_t batch = 32;
    double lr = 1e-3;
    std::int64_t eval_every = 100;
};

std::vector<models::Sentence> read_sentences(const std::string& path) {
    std::ifstream in(path);
    PESO_CHECK(in.good(), IOError, "decoder_lm: cannot read the corpus {}", path);
    std::vector<models::Sentence> sentences;
    for (std::string line; std::getline(in, line);)
        if (auto words = models::split_words(line); !words.empty()) sentences.push_back(std::move(words));
    PESO_CHECK(sentences.size() >= 10, ValueError, "decoder_lm: {} has {} sentences, need at least 10", path,
               sentences.size());
    return sentences;
}

// A sentence as the model reads it (<s> w1 .. wn) and what it must predict (w1 .. wn </s>).
struct Example {
    std::vector<std::int64_t> input, target;
};

std::vector<Example> make_examples(const std::vector<models::Sentence>& sentences, const WordVocab& vocab,
                                   std::int64_t max_len) {
    std::vector<Example> out;
    for (const auto& s : sentences) {
        std::vector<std::int64_t> ids{WordVocab::kBos};
        for (const std::int64_t id : vocab.encode(s)) ids.push_back(id);
        ids.push_back(WordVocab::kEos);
        PESO_CHECK(static_cast<std::int64_t>(ids.size()) - 1 <= max_len, ValueError,
                   "decoder_lm: a sentence of {} words is longer than max_len {}", s.size(), max_len);
        out.push_back({{ids.begin(), ids.end() - 1}, {ids.begin() + 1, ids.end()}});
    }
    return out;
}

struct Batch {
    Tensor input, target;  // (B, T) int64, padded with kPad
};

Batch make_batch(const std::vector<Example>& examples, const std::vector<std::int64_t>& rows, Device device) {
    std::vector<std::vector<std::int64_t>> in, tgt;
    for (const std::int64_t r : rows) {
        in.push_back(examples[static_cast<std::size_t>(r)].input);
        tgt.push_back(examples[static_cast<std::size_t>(r)].target);
    }
    return {to_device(nn::data::pad_sequences(in, {.pad_value = WordVocab::kPad}).tokens, device),
            to_device(nn::data::pad_sequences(tgt, {.pad_value = WordVocab::kPad}).tokens, device)};
}

Batch whole_set(const std::vector<Example>& examples, Device device) {
    std::vector<std::int64_t> rows(examples.size());
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<std::int64_t>(i);
    return make_batch(examples, rows, device);
}

// exp of the mean cross-entropy over every non-padding target token.
double perplexity(models::DecoderLm& model, const Batch& set) {
    model.eval();
    NoGradGuard no_grad;
    const double nll = model.loss(set.input, set.target, WordVocab::kPad).item<double>();
    model.train();
    return std::exp(nll);
}

// Every layer's and head's attention over a sentence the model wrote, read as
// its input: row i is the word that predicts word i + 1.
void draw_attention(models::DecoderLm& model, const WordVocab& vocab, std::vector<std::int64_t> ids,
                    const std::filesystem::path& out) {
    if (ids.size() > 1 && ids.back() == WordVocab::kEos) ids.pop_back();
    std::vector<std::string> words;
    for (const std::int64_t id : ids) words.push_back(vocab.word(id));
    examples::plot_attention(out, "attention", "causal self-attention on a sentence the model wrote",
                             model.attention_maps(ids), words, words);
}

void run(const examples::ExampleOptions& opts, const Flags& flags) {
    const Device device = examples::example_device(opts);
    const auto sentences = read_sentences(flags.data);
    // Every tenth sentence is held out to measure perplexity on unseen text.
    std::vector<models::Sentence> train_s, val_s;
    for (std::size_t i = 0; i < sentences.size(); ++i) (i % 10 == 9 ? val_s : train_s).push_back(sentences[i]);
    const WordVocab vocab(train_s);

    models::DecoderLmConfig config;
    config.vocab_size = vocab.size();
    models::DecoderLm model(config);
    model.to(device);
    const auto train_set = make_examples(train_s, vocab, config.max_len);
    const auto val_set = make_examples(val_s, vocab, config.max_len);
    const Batch train_all = whole_set(train_set, device), val_all = whole_set(val_set, device);
    fmt::print("corpus: {} training and {} held-out sentences, {} words in the vocabulary; {} parameters\n",
               train_set.size(), val_set.size(), vocab.size(), model.num_parameters());

    nn::optim::AdamOptions adam;
    adam.lr = flags.lr;
    nn::optim::Adam optimizer(model.parameters(), adam);
    // The lr falls linearly to a tenth of its value over the run.
    nn::optim::LinearLR schedule(optimizer, 1.0, 0.1, opts.steps);

    examples::LossCurve curve;
    std::vector<double> eval_steps, train_ppl, val_ppl;
    const auto n = static_cast<std::int64_t>(train_set.size());
    Tensor order = randperm(n);
    std::int64_t cursor = 0;
    for (std::int64_t step = 1; step <= opts.steps; ++step) {
        if (cursor + flags.batch > n) order = randperm(n), cursor = 0;  // a new epoch
        const auto rows = order.narrow(0, cursor, std::min(flags.batch, n)).to_vector<std::int64_t>();
        cursor += flags.batch;
        const Batch batch = make_batch(train_set, rows, device);
        const Tensor loss = model.loss(batch.input, batch.target, WordVocab::kPad);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        schedule.step();
        curve.add(step, loss.item<double>());
        if (step % flags.eval_every == 0 || step == opts.steps) {
            eval_steps.push_back(static_cast<double>(step));
            train_ppl.push_back(perplexity(model, train_all));
            val_ppl.push_back(perplexity(model, val_all));
            fmt::print("step {:5d}  loss {:.4f}  lr {:.2e}  perplexity train {:.2f}  held-out {:.2f}\n", step,
                       loss.item<double>(), optimizer.lr(), train_ppl.back(), val_ppl.back());
        }
    }
    curve.print_summary();
    curve.save(opts.out, "decoder-only transformer LM: training loss");
    const std::filesystem::path dat = std::filesystem::path(opts.out) / "perplexity.dat";
    examples::write_columns(dat, {"step", "train", "heldout"}, {eval_steps, train_ppl, val_ppl});
    examples::render_png(std::filesystem::path(opts.out) / "perplexity.png",
                         fmt::format("set title 'perplexity'\nset xlabel 'step'\nset logscale y\nset grid\n"
                                     "plot '{0}' using 1:2 with linespoints title 'training sentences', "
                                     "'{0}' using 1:3 with linespoints title 'held-out sentences'",
                                     dat.string()));

    fmt::print("\ngreedy continuations:\n");
    for (const std::string prompt : {"the cat", "the old man", "the children", "the farmer has", "in the"}) {
        std::vector<std::int64_t> ids{WordVocab::kBos};
        for (const std::int64_t id : vocab.encode(models::split_words(prompt))) ids.push_back(id);
        const auto out = model.greedy(ids, WordVocab::kEos);
        fmt::print("  {:>16} | {}\n", prompt, vocab.decode(std::span(out).subspan(ids.size())));
        if (prompt == std::string("the old man")) draw_attention(model, vocab, out, opts.out);
    }
    fmt::print("\n");
    const examples::Results results(opts.out);
    results.record("final_loss", curve.last());
    results.record("train_perplexity", train_ppl.back());
    results.record("heldout_perplexity", val_ppl.back());
}

}  // namespace

int main(int argc, char** argv) {
    Flags flags;
    examples::ExampleOptions defaults;
    defaults.steps = 600;
    return examples::run_example(
        argc, argv, {"decoder_lm", "word-level decoder-only transformer language model"}, defaults,
        [&](CLI::App& app) {
            app.add_option("--data", flags.data, "corpus: one sentence per line")->capture_default_str();
            app.add_option("--batch", flags.batch, "sentences per batch")->check(CLI::PositiveNumber);
            app.add_option("--lr", flags.lr, "initial learning rate")->check(CLI::PositiveNumber);
            app.add_option("--eval-every", flags.eval_every, "steps between perplexity evaluations")
                ->check(CLI::PositiveNumber);
        },
        [&](const examples::ExampleOptions& opts) { run(opts, flags); });
}
