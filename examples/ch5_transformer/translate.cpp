// Chapter 5: the full encoder-decoder transformer (models/guide/seq2seq_transformer.h)
// trained on a toy translation task: Spanish -> English sentences written for
// the project (--task translate, the default), or a synthetic language whose
// translation is the source reversed (--task reverse). Translates held-out
// sentences with greedy and beam-search decoding, reports exact-match
// accuracy, and draws the attention maps (encoder self-attention, decoder
// self-attention, cross-attention) of one example as heatmaps.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <set>

#include "examples/common/attention_plot.h"
#include "examples/common/example.h"
#include "examples/common/plot.h"
#include "examples/common/results.h"
#include "models/guide/seq2seq_transformer.h"
#include "models/guide/word_vocab.h"
#include "nn/data/dataloader.h"
#include "nn/optim/adam.h"
#include "nn/optim/lr_scheduler.h"

using namespace peso;
using models::Sentence;
using models::WordVocab;

namespace {

struct Flags {
    std::string task = "translate";
    std::string data = std::string(PESO_EXAMPLES_DATA) + "/ch5_es_en.tsv";
    std::int64_t batch = 64;
    double lr = 1e-3;
    std::int64_t warmup = 100;
    std::int64_t beam = 4;
    std::int64_t heldout_every = 8;  // translate: every 8th pair is held out
    std::int64_t reverse_train = 2000, reverse_test = 200;  // reverse: sequences generated
};

struct Pair {
    Sentence src, tgt;
};

struct Corpus {
    std::vector<Pair> train, test;
};

Corpus read_parallel(const std::string& path, std::int64_t heldout_every) {
    std::ifstream in(path);
    PESO_CHECK(in.good(), IOError, "translate: cannot read the parallel corpus {}", path);
    Corpus c;
    std::int64_t line_no = 0;
    for (std::string line; std::getline(in, line);) {
        ++line_no;
        if (line.empty()) continue;
        const auto tab = line.find('\t');
        PESO_CHECK(tab != std::string::npos, ValueError, "translate: {}:{} has no tab between source and target",
                   path, line_no);
        Pair p{models::split_words(line.substr(0, tab)), models::split_words(line.substr(tab + 1))};
        (line_no % heldout_every == 0 ? c.test : c.train).push_back(std::move(p));
    }
    PESO_CHECK(!c.train.empty() && !c.test.empty(), ValueError, "translate: {} gave {} training and {} test pairs",
               path, c.train.size(), c.test.size());
    return c;
}

// Random sequences over 12 symbols, 3 to 10 long; the target is the source
// reversed. Test sequences never occur in training.
Corpus make_reversal(std::uint64_t seed, std::int64_t n_train, std::int64_t n_test) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int> length(3, 10), symbol(0, 11);
    std::set<Sentence> seen;
    Corpus c;
    while (static_cast<std::int64_t>(c.train.size() + c.test.size()) < n_train + n_test) {
        Sentence s(static_cast<std::size_t>(length(rng)));
        for (auto& w : s) w = std::string(1, static_cast<char>('a' + symbol(rng)));
        if (!seen.insert(s).second) continue;
        Pair p{s, Sentence(s.rbegin(), s.rend())};
        (static_cast<std::int64_t>(c.train.size()) < n_train ? c.train : c.test).push_back(std::move(p));
    }
    return c;
}

struct Batch {
    Tensor src, tgt_in, tgt_out;  // (B, S), (B, T), (B, T) int64, padded
};

struct Encoded {
    std::vector<std::int64_t> src, tgt_in, tgt_out;
};

std::vector<Encoded> encode_pairs(const std::vector<Pair>& pairs, const WordVocab& sv, const WordVocab& tv) {
    std::vector<Encoded> out;
    for (const auto& p : pairs) {
        Encoded e{sv.encode(p.src), {WordVocab::kBos}, tv.encode(p.tgt)};
        e.tgt_in.insert(e.tgt_in.end(), e.tgt_out.begin(), e.tgt_out.end());
        e.tgt_out.push_back(WordVocab::kEos);
        out.push_back(std::move(e));
    }
    return out;
}

Batch make_batch(const std::vector<Encoded>& data, const std::vector<std::int64_t>& rows, Device device) {
    std::vector<std::vector<std::int64_t>> s, ti, to;
    for (const std::int64_t r : rows) {
        const Encoded& e = data[static_cast<std::size_t>(r)];
        s.push_back(e.src);
        ti.push_back(e.tgt_in);
        to.push_back(e.tgt_out);
    }
    const auto pad = [&](const auto& v) { return to_device(nn::data::pad_sequences(v, {.pad_value = WordVocab::kPad}).tokens, device); };
    return {pad(s), pad(ti), pad(to)};
}

std::vector<std::int64_t> all_rows(std::size_t n) {
    std::vector<std::int64_t> rows(n);
    for (std::size_t i = 0; i < n; ++i) rows[i] = static_cast<std::int64_t>(i);
    return rows;
}

struct Translations {
    std::vector<std::string> greedy, beam;
    double greedy_exact = 0, beam_exact = 0;
};

Translations translate_all(models::Seq2SeqTransformer& model, const std::vector<Pair>& pairs,
                           const std::vector<Encoded>& data, const WordVocab& tv, std::int64_t beam_width,
                           Device device) {
    const Batch all = make_batch(data, all_rows(data.size()), device);
    const std::int64_t max_len = all.tgt_out.size(1) + 4;
    const auto greedy = model.greedy(all.src, max_len);
    Translations t;
    for (std::size_t i = 0; i < pairs.size(); ++i) {
        const std::string ref = tv.decode(tv.encode(pairs[i].tgt));
        t.greedy.push_back(tv.decode(greedy[i]));
        if (beam_width > 0) {
            const auto length = static_cast<std::int64_t>(data[i].src.size());
            const Tensor src = to_device(from_vector(data[i].src, Dims{1, length}), device);
            t.beam.push_back(tv.decode(model.beam(src, beam_width, max_len).front().tokens));
            t.beam_exact += t.beam.back() == ref;
        }
        t.greedy_exact += t.greedy.back() == ref;
    }
    t.greedy_exact /= static_cast<double>(pairs.size());
    t.beam_exact /= static_cast<double>(pairs.size());
    return t;
}

void draw_attention(models::Seq2SeqTransformer& model, const Pair& pair, const Encoded& e,
                    const std::vector<std::int64_t>& translation, const WordVocab& tv, Device device,
                    const std::filesystem::path& out) {
    std::vector<std::int64_t> tgt{WordVocab::kBos};
    tgt.insert(tgt.end(), translation.begin(), translation.end());
    const auto len = [](const auto& v) { return static_cast<std::int64_t>(v.size()); };
    const auto maps = model.attention_maps(to_device(from_vector(e.src, Dims{1, len(e.src)}), device),
                                           to_device(from_vector(tgt, Dims{1, len(tgt)}), device));
    std::vector<std::string> tgt_words;
    for (const std::int64_t id : tgt) tgt_words.push_back(tv.word(id));
    examples::plot_attention(out, "attention_encoder_self", "encoder self-attention (queries: rows, keys: columns)",
                             maps.encoder_self, pair.src, pair.src);
    examples::plot_attention(out, "attention_decoder_self", "decoder self-attention (causal)", maps.decoder_self,
                             tgt_words, tgt_words);
    examples::plot_attention(out, "attention_cross",
                             "cross-attention: target queries (rows) over source keys (columns)", maps.cross,
                             tgt_words, pair.src);
}

void run(const examples::ExampleOptions& opts, const Flags& flags) {
    const Device device = examples::example_device(opts);
    PESO_CHECK(flags.task == "translate" || flags.task == "reverse", ValueError,
               "translate: --task must be translate or reverse, not '{}'", flags.task);
    const Corpus corpus = flags.task == "translate" ? read_parallel(flags.data, flags.heldout_every)
                                                    : make_reversal(opts.seed, flags.reverse_train, flags.reverse_test);
    std::vector<Sentence> srcs, tgts;
    for (const auto& p : corpus.train) srcs.push_back(p.src), tgts.push_back(p.tgt);
    const WordVocab sv(srcs), tv(tgts);
    const auto train = encode_pairs(corpus.train, sv, tv), test = encode_pairs(corpus.test, sv, tv);

    models::Seq2SeqConfig config;
    config.src_vocab = sv.size();
    config.tgt_vocab = tv.size();
    models::Seq2SeqTransformer model(config);
    model.to(device);
    fmt::print("task {}: {} training and {} held-out pairs, vocabularies {} -> {} words, {} parameters\n",
               flags.task, train.size(), test.size(), sv.size(), tv.size(), model.num_parameters());

    nn::optim::AdamOptions adam;
    adam.lr = flags.lr;
    adam.beta2 = 0.98;
    nn::optim::Adam optimizer(model.parameters(), adam);
    // Post-LN transformers need a warmup; the cosine then brings the lr down to a tenth.
    nn::optim::WarmupCosineLR schedule(optimizer, flags.warmup, opts.steps, flags.lr / 10);

    examples::LossCurve curve;
    const auto n = static_cast<std::int64_t>(train.size());
    const std::int64_t batch = std::min(flags.batch, n);
    Tensor order = randperm(n);
    std::int64_t cursor = 0;
    for (std::int64_t step = 1; step <= opts.steps; ++step) {
        if (cursor + batch > n) order = randperm(n), cursor = 0;
        const Batch b = make_batch(train, order.narrow(0, cursor, batch).to_vector<std::int64_t>(), device);
        cursor += batch;
        const Tensor loss = model.loss(b.src, b.tgt_in, b.tgt_out);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        schedule.step();
        curve.add(step, loss.item<double>());
        if (step % 200 == 0 || step == opts.steps)
            fmt::print("step {:5d}  loss {:.4f}  lr {:.2e}\n", step, loss.item<double>(), optimizer.lr());
    }
    curve.print_summary();
    curve.save(opts.out, fmt::format("encoder-decoder transformer ({}): training loss", flags.task));

    const auto held = translate_all(model, corpus.test, test, tv, flags.beam, device);
    const std::size_t shown = std::min<std::size_t>(train.size(), 200);
    const std::vector<Pair> train_head(corpus.train.begin(), corpus.train.begin() + static_cast<std::ptrdiff_t>(shown));
    const std::vector<Encoded> train_enc(train.begin(), train.begin() + static_cast<std::ptrdiff_t>(shown));
    const auto seen = translate_all(model, train_head, train_enc, tv, 0, device);

    fmt::print("\nheld-out translations (source | reference | greedy | beam {}):\n", flags.beam);
    for (std::size_t i = 0; i < std::min<std::size_t>(8, corpus.test.size()); ++i) {
        const std::string ref = fmt::format("{}", fmt::join(corpus.test[i].tgt, " "));
        const auto mark = [&](const std::string& t) { return t == ref ? "" : "   (wrong)"; };
        fmt::print("  {}\n    ref:    {}\n    greedy: {}{}\n    beam:   {}{}\n", fmt::join(corpus.test[i].src, " "),
                   ref, held.greedy[i], mark(held.greedy[i]), held.beam[i], mark(held.beam[i]));
    }
    fmt::print("exact match: training (first {}) greedy {:.3f}; held-out greedy {:.3f}, beam {:.3f}\n\n", shown,
               seen.greedy_exact, held.greedy_exact, held.beam_exact);

    // The longest held-out source shows the most structure in its attention maps.
    std::size_t pick = 0;
    for (std::size_t i = 1; i < test.size(); ++i)
        if (test[i].src.size() > test[pick].src.size()) pick = i;
    const auto translation =
        model.greedy(make_batch(test, {static_cast<std::int64_t>(pick)}, device).src, config.max_len).front();
    fmt::print("attention maps of: {} -> {}\n", fmt::join(corpus.test[pick].src, " "), tv.decode(translation));
    draw_attention(model, corpus.test[pick], test[pick], translation, tv, device, opts.out);

    const examples::Results results(opts.out);
    results.record("final_loss", curve.last());
    results.record("train_greedy_exact", seen.greedy_exact);
    results.record("heldout_greedy_exact", held.greedy_exact);
    results.record("heldout_beam_exact", held.beam_exact);
}

}  // namespace

int main(int argc, char** argv) {
    Flags flags;
    examples::ExampleOptions defaults;
    defaults.steps = 1000;
    return examples::run_example(
        argc, argv, {"translate", "encoder-decoder transformer on a toy translation task"}, defaults,
        [&](CLI::App& app) {
            app.add_option("--task", flags.task, "translate (Spanish -> English) or reverse")
                ->check(CLI::IsMember({"translate", "reverse"}))
                ->capture_default_str();
            app.add_option("--data", flags.data, "parallel corpus: source<TAB>target per line")->capture_default_str();
            app.add_option("--batch", flags.batch, "pairs per batch")->check(CLI::PositiveNumber);
            app.add_option("--lr", flags.lr, "peak learning rate")->check(CLI::PositiveNumber);
            app.add_option("--warmup", flags.warmup, "warmup steps")->check(CLI::NonNegativeNumber);
            app.add_option("--beam", flags.beam, "beam width")->check(CLI::Range(1, 64));
        },
        [&](const examples::ExampleOptions& opts) { run(opts, flags); });
}
