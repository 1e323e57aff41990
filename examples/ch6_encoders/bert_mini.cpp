// BERT-mini: pre-train a small bidirectional encoder with masked-LM and
// next-sentence prediction on an unlabelled corpus, save it (safetensors),
// load it back, freeze it and train only a new token-classification head on
// a handful of tagged sentences; then compare with the same tagger trained
// from scratch on those sentences alone.
#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <map>

#include "examples/ch6_encoders/tagging.h"
#include "examples/common/example.h"
#include "examples/common/plot.h"
#include "examples/common/results.h"
#include "models/guide/masked_lm.h"
#include "nn/clip_grad.h"
#include "nn/losses.h"
#include "nn/optim/adam.h"
#include "nn/serialization/module_io.h"
#include "peso.h"

using namespace peso;
namespace ex = peso::examples;
namespace ch6 = peso::examples::ch6;
namespace fs = std::filesystem;
namespace F = peso::nn::functional;

namespace {

struct Settings {
    std::string data = PESO_EXAMPLES_DATA;
    std::int64_t batch = 32;
    double lr = 2e-3;
    std::int64_t warmup = 100;
    std::int64_t tag_steps = 400;
    int threads = 1;
};

// ---- pre-training data ------------------------------------------------------------------

struct PretrainBatch {
    Tensor ids, segments;  // (B, T): [CLS] A [SEP] B [SEP] [PAD]..; segment 0 up to the first [SEP], 1 after
    Tensor is_next;        // (B): 1 when B follows A in its paragraph, 0 when B is a random sentence
};

// Half the pairs are two consecutive sentences of a paragraph, half pair a
// sentence with one from another paragraph (BERT's NSP task).
PretrainBatch make_pretrain_batch(const std::vector<ch6::Paragraph>& paras, const ch6::Vocab& vocab, std::int64_t B,
                                  Generator& gen) {
    const auto u = rand({B, 5}, {}, &gen).to_vector<float>();
    const auto pick = [](float r, std::size_t n) { return std::min(static_cast<std::size_t>(r * n), n - 1); };
    std::vector<std::vector<std::int64_t>> rows, segs;
    std::vector<std::int64_t> labels;
    for (std::int64_t b = 0; b < B; ++b) {
        const std::size_t p = pick(u[b * 5], paras.size());
        const std::size_t i = pick(u[b * 5 + 1], paras[p].size() - 1);
        const bool next = u[b * 5 + 2] < 0.5f;
        const std::vector<std::string>* second = &paras[p][i + 1];
        if (!next) {
            const std::size_t q = (p + 1 + pick(u[b * 5 + 3], paras.size() - 1)) % paras.size();  // q != p
            second = &paras[q][pick(u[b * 5 + 4], paras[q].size())];
        }
        std::vector<std::int64_t> row{ch6::kCls}, seg{0};
        for (const auto& w : paras[p][i]) row.push_back(vocab.id(w)), seg.push_back(0);
        row.push_back(ch6::kSep), seg.push_back(0);
        for (const auto& w : *second) row.push_back(vocab.id(w)), seg.push_back(1);
        row.push_back(ch6::kSep), seg.push_back(1);
        rows.push_back(std::move(row));
        segs.push_back(std::move(seg));
        labels.push_back(next ? 1 : 0);
    }
    std::size_t T = 0;
    for (const auto& r : rows) T = std::max(T, r.size());
    std::vector<std::int64_t> ids(B * T, ch6::kPad), sg(B * T, 0);
    for (std::int64_t b = 0; b < B; ++b) {
        std::copy(rows[b].begin(), rows[b].end(), ids.begin() + b * T);
        std::copy(segs[b].begin(), segs[b].end(), sg.begin() + b * T);
    }
    const auto Ti = static_cast<std::int64_t>(T);
    return {from_vector<std::int64_t>(ids, Dims{B, Ti}), from_vector<std::int64_t>(sg, Dims{B, Ti}),
            from_vector<std::int64_t>(labels)};
}

models::MaskedLmOptions mlm_options(const ch6::Vocab& vocab) {
    models::MaskedLmOptions o;
    o.mask_id = ch6::kMask;
    o.first_regular_id = ch6::kFirstWord;
    o.vocab_size = vocab.size();
    o.ignore_index = ch6::kIgnore;
    return o;
}

struct PretrainLoss {
    Tensor total, mlm, nsp;
    Tensor mlm_logits, nsp_logits, labels;
};

PretrainLoss pretrain_loss(const models::BertForPretraining& model, const PretrainBatch& pb,
                           const models::MaskedLmOptions& mo, Generator& gen) {
    // Only regular words may be chosen: never [CLS], [SEP] or padding.
    const auto masked = models::mask_tokens(pb.ids, ge(pb.ids, ch6::kFirstWord), mo, &gen);
    const auto out = model.forward(masked.inputs, pb.segments);
    nn::CrossEntropyLossOptions ce;
    ce.ignore_index = ch6::kIgnore;
    PretrainLoss l;
    l.mlm = F::cross_entropy(out.mlm_logits.reshape({-1, mo.vocab_size}), masked.labels.reshape({-1}), ce);
    l.nsp = F::cross_entropy(out.nsp_logits, pb.is_next);
    l.total = add(l.mlm, l.nsp);
    l.mlm_logits = out.mlm_logits;
    l.nsp_logits = out.nsp_logits;
    l.labels = masked.labels;
    return l;
}

struct PretrainScore {
    double mlm_accuracy = 0;  // the masked word itself
    double mlm_class_accuracy = 0;  // a word of the masked word's part of speech
    double nsp_accuracy = 0;
};

PretrainScore score_pretraining(models::BertForPretraining& model, const std::vector<ch6::Paragraph>& paras,
                                const ch6::Vocab& vocab, const std::map<std::string, std::string>& tag_of) {
    model.eval();
    NoGradGuard no_grad;
    Generator gen(4242);  // the same pairs and masks at every call
    const auto mo = mlm_options(vocab);
    std::int64_t masked = 0, right = 0, class_known = 0, class_right = 0, pairs = 0, nsp_right = 0;
    for (int k = 0; k < 8; ++k) {
        const auto pb = make_pretrain_batch(paras, vocab, 32, gen);
        const auto l = pretrain_loss(model, pb, mo, gen);
        const auto pred = argmax(l.mlm_logits, -1).to_vector<std::int64_t>();
        const auto gold = l.labels.to_vector<std::int64_t>();
        for (std::size_t i = 0; i < gold.size(); ++i) {
            if (gold[i] == ch6::kIgnore) continue;
            ++masked;
            right += pred[i] == gold[i];
            const auto g = tag_of.find(vocab.word(gold[i]));
            const auto p = tag_of.find(vocab.word(pred[i]));
            if (g == tag_of.end()) continue;
            ++class_known;
            class_right += p != tag_of.end() && p->second == g->second;
        }
        const auto nsp_pred = argmax(l.nsp_logits, -1).to_vector<std::int64_t>();
        const auto nsp_gold = pb.is_next.to_vector<std::int64_t>();
        for (std::size_t i = 0; i < nsp_gold.size(); ++i, ++pairs) nsp_right += nsp_pred[i] == nsp_gold[i];
    }
    model.train();
    return {static_cast<double>(right) / masked, static_cast<double>(class_right) / std::max<std::int64_t>(1, class_known),
            static_cast<double>(nsp_right) / pairs};
}

// ---- pre-training -------------------------------------------------------------------------

struct PretrainCurves {
    ex::LossCurve total;
    std::vector<double> steps, mlm, nsp;
};

PretrainCurves pretrain(models::BertForPretraining& model, const std::vector<ch6::Paragraph>& paras,
                        const ch6::Vocab& vocab, const ex::ExampleOptions& opts, const Settings& s) {
    nn::optim::AdamWOptions o;
    o.lr = s.lr;
    o.beta2 = 0.98;
    nn::optim::AdamW opt(model.parameters(), o);
    const auto mo = mlm_options(vocab);
    Generator gen(opts.seed + 1);
    PretrainCurves c;
    model.train();
    for (std::int64_t step = 1; step <= opts.steps; ++step) {
        // Post-LN encoders diverge easily at full rate from the start: warm up.
        opt.set_lr(s.lr * std::min(1.0, static_cast<double>(step) / static_cast<double>(s.warmup)));
        const auto l = pretrain_loss(model, make_pretrain_batch(paras, vocab, s.batch, gen), mo, gen);
        opt.zero_grad();
        l.total.backward();
        nn::clip_grad_norm_(model.parameters(), 1.0);
        opt.step();
        c.total.add(step, l.total.item<double>());
        c.steps.push_back(static_cast<double>(step));
        c.mlm.push_back(l.mlm.item<double>());
        c.nsp.push_back(l.nsp.item<double>());
        if (step % 100 == 0 || step == opts.steps)
            fmt::print("step {:5d}  loss {:.4f} (masked LM {:.4f}, next sentence {:.4f})\n", step, c.total.last(),
                       c.mlm.back(), c.nsp.back());
    }
    return c;
}

// The largest absolute difference between two lists of tensors.
double max_abs_diff(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
    double m = 0;
    for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, amax(abs(sub(a[i], b[i]))).item<double>());
    return m;
}

std::vector<Tensor> snapshot(const nn::Module& m) {
    std::vector<Tensor> out;
    for (const Tensor& p : m.parameters()) out.push_back(p.detach().clone());
    return out;
}

void show_fill_in(models::BertForPretraining& model, const std::vector<ch6::TaggedSentence>& sentences,
                  const ch6::Vocab& vocab) {
    model.eval();
    NoGradGuard no_grad;
    fmt::print("fill in the [MASK] (held-out tagged sentences; top 3 guesses):\n");
    for (std::size_t k = 0; k < std::min<std::size_t>(4, sentences.size()); ++k) {
        const auto& words = sentences[k].words;
        const std::size_t at = 1 + (k * 3) % (words.size() - 1);  // some word, not the final "."
        std::vector<std::int64_t> ids{ch6::kCls};
        std::string shown;
        for (std::size_t i = 0; i < words.size(); ++i) {
            ids.push_back(i == at ? ch6::kMask : vocab.id(words[i]));
            shown += (i == at ? "[MASK]" : words[i]) + " ";
        }
        ids.push_back(ch6::kSep);
        const auto T = static_cast<std::int64_t>(ids.size());
        const Tensor x = from_vector<std::int64_t>(ids, Dims{1, T});
        const auto out = model.forward(x, zeros({1, T}, DType::i64));
        const auto top = std::get<1>(topk(out.mlm_logits.select(0, 0).select(0, static_cast<std::int64_t>(at) + 1), 3))
                             .to_vector<std::int64_t>();
        fmt::print("  {}-> {} / {} / {}   (was '{}')\n", shown, vocab.word(top[0]), vocab.word(top[1]),
                   vocab.word(top[2]), words[at]);
    }
    model.train();
}

void save_plots(const fs::path& out, const PretrainCurves& c, const ex::LossCurve& fine, const ex::LossCurve& scratch) {
    c.total.save(out, "BERT-mini pre-training: masked LM + next sentence loss");
    const fs::path dat = out / "pretrain.dat";
    ex::write_columns(dat, {"step", "mlm", "nsp"}, {c.steps, c.mlm, c.nsp});
    ex::render_png(out / "pretrain.png",
                   fmt::format("set title 'BERT-mini pre-training'\nset xlabel 'step'\nset ylabel 'loss'\nset grid\n"
                               "plot '{0}' using 1:2 with lines title 'masked LM', '{0}' using 1:3 with lines "
                               "title 'next sentence'",
                               dat.string()));
    fine.save(out / "finetuned", "tagger on the frozen pre-trained encoder: training loss");
    scratch.save(out / "scratch", "tagger from scratch: training loss");
    ex::render_png(out / "taggers.png",
                   fmt::format("set title 'tagger training loss'\nset xlabel 'step'\nset ylabel 'loss'\nset grid\n"
                               "set logscale y\nplot '{}' using 1:2 with lines title 'frozen BERT-mini + new head', "
                               "'{}' using 1:2 with lines title 'from scratch'",
                               (out / "finetuned" / "loss.dat").string(), (out / "scratch" / "loss.dat").string()));
}

void run(const ex::ExampleOptions& opts, const Settings& s) {
    PESO_CHECK(s.threads >= 0, ValueError, "--threads must be >= 0, got {}", s.threads);
    if (s.threads > 0) omp_set_num_threads(s.threads);
    (void)ex::example_device(opts);
    const fs::path data(s.data), out(opts.out);
    auto paras = ch6::read_paragraphs(data / "ch6_bert_corpus.txt");
    std::erase_if(paras, [](const ch6::Paragraph& p) { return p.size() < 2; });
    PESO_CHECK(paras.size() >= 10, ValueError, "{}: need at least 10 paragraphs of two or more sentences",
               (data / "ch6_bert_corpus.txt").string());
    const auto held_out_from = paras.size() - paras.size() / 10;
    const std::vector<ch6::Paragraph> pre_train(paras.begin(), paras.begin() + held_out_from),
        pre_val(paras.begin() + held_out_from, paras.end());
    const auto tag_train = ch6::read_tagged(data / "ch6_pos_train.txt");
    const auto tag_test = ch6::read_tagged(data / "ch6_pos_test.txt");
    const ch6::TagSet tags(tag_train);
    std::map<std::string, std::string> tag_of;
    for (const auto* set : {&tag_train, &tag_test})
        for (const auto& t : *set)
            for (std::size_t i = 0; i < t.words.size(); ++i) tag_of[t.words[i]] = t.tags[i];

    ch6::Vocab vocab;  // BERT's: every word of the unlabelled corpus
    for (const auto& p : paras)
        for (const auto& sentence : p)
            for (const auto& w : sentence) vocab.add(w);
    models::BertConfig config;
    config.vocab_size = vocab.size();
    config.pad_id = ch6::kPad;
    fmt::print("corpus: {} paragraphs ({} held out), vocabulary {} (5 special tokens)\n", paras.size(), pre_val.size(),
               vocab.size());

    // 1. pre-train
    models::BertForPretraining bert(config);
    fmt::print("BERT-mini: {} layers, {} heads, d = {}, {} parameters\n", config.n_layer, config.n_head,
               config.d_model, bert.num_parameters());
    const PretrainScore before = score_pretraining(bert, pre_val, vocab, tag_of);
    const PretrainCurves curves = pretrain(bert, pre_train, vocab, opts, s);
    curves.total.print_summary();
    const PretrainScore after = score_pretraining(bert, pre_val, vocab, tag_of);
    fmt::print("held-out paragraphs: masked word right {:.3f} (before training {:.3f}), a word of the right part of "
               "speech {:.3f}, next sentence right {:.3f} (before {:.3f})\n",
               after.mlm_accuracy, before.mlm_accuracy, after.mlm_class_accuracy, after.nsp_accuracy,
               before.nsp_accuracy);
    show_fill_in(bert, tag_test, vocab);

    // 2. save, and load into a fresh model
    const fs::path file = out / "bert_mini.safetensors";
    nn::save_module(bert, file.string(), {{"vocab_size", std::to_string(vocab.size())}});
    models::BertForPretraining loaded(config);
    nn::load_module(loaded, file.string());
    const double reload_diff = max_abs_diff(bert.parameters(), loaded.parameters());
    fmt::print("saved {} ({} bytes) and loaded it back: largest parameter difference {}\n", file.string(),
               fs::file_size(file), reload_diff);

    // 3. freeze the loaded encoder; train a new head on the tagged sentences
    const auto training_words = ch6::words_of(tag_train);
    ch6::TaggerTraining t;
    t.steps = s.tag_steps;
    models::EncoderTagger fine(loaded.bert, tags.size());
    fine.encoder->requires_grad_(false);
    const std::vector<Tensor> frozen_before = snapshot(*fine.encoder);
    fine.train();
    fine.encoder->eval();  // frozen features: no dropout inside the encoder
    Generator tag_gen(opts.seed + 2);
    const ex::LossCurve fine_curve =
        ch6::train_tagger(fine, fine.head->parameters(), tag_train, vocab, tags, t, tag_gen);
    const double frozen_change = max_abs_diff(frozen_before, snapshot(*fine.encoder));
    const ch6::TagScore fine_score = ch6::evaluate_tagger(fine, tag_test, vocab, tags, training_words);

    // 4. the same tagger from scratch: only the tagged sentences' words
    ch6::Vocab small;
    for (const auto& w : training_words) small.add(w);
    models::BertConfig scratch_config = config;
    scratch_config.vocab_size = small.size();
    models::EncoderTagger scratch(scratch_config, tags.size());
    t.word_dropout = 0.1;
    scratch.train();
    Generator scratch_gen(opts.seed + 2);
    const ex::LossCurve scratch_curve =
        ch6::train_tagger(scratch, scratch.parameters(), tag_train, small, tags, t, scratch_gen);
    const ch6::TagScore scratch_score = ch6::evaluate_tagger(scratch, tag_test, small, tags, training_words);

    fmt::print("part-of-speech tagging, {} training sentences, {} test words ({} not in the training sentences):\n",
               tag_train.size(), fine_score.words, fine_score.unseen_words);
    fmt::print("  frozen pre-trained encoder + new head ({} trainable parameters): accuracy {:.3f}, on unseen words "
               "{:.3f}\n",
               fine.num_parameters(true), fine_score.accuracy, fine_score.unseen_accuracy);
    fmt::print("  same tagger from scratch ({} trainable parameters):           accuracy {:.3f}, on unseen words "
               "{:.3f}\n",
               scratch.num_parameters(true), scratch_score.accuracy, scratch_score.unseen_accuracy);
    fmt::print("  frozen encoder: largest weight change during fine-tuning {}\n", frozen_change);

    const ex::Results results(out);
    results.record("pretrain_loss", curves.total.last());
    results.record("mlm_accuracy", after.mlm_accuracy);
    results.record("mlm_class_accuracy", after.mlm_class_accuracy);
    results.record("nsp_accuracy", after.nsp_accuracy);
    results.record("reload_max_diff", reload_diff);
    results.record("frozen_max_change", frozen_change);
    results.record("finetuned_accuracy", fine_score.accuracy);
    results.record("finetuned_unseen_accuracy", fine_score.unseen_accuracy);
    results.record("scratch_accuracy", scratch_score.accuracy);
    results.record("scratch_unseen_accuracy", scratch_score.unseen_accuracy);
    fs::create_directories(out / "finetuned");
    fs::create_directories(out / "scratch");
    save_plots(out, curves, fine_curve, scratch_curve);
}

}  // namespace

int main(int argc, char** argv) {
    Settings s;
    ex::ExampleOptions defaults;
    defaults.steps = 2000;
    return ex::run_example(
        argc, argv,
        {"bert_mini", "pre-train a BERT-mini (masked LM + next sentence), freeze it, fine-tune a tagger head"},
        defaults,
        [&](CLI::App& app) {
            app.add_option("--data", s.data, "folder with ch6_bert_corpus.txt and the tagged sentences")
                ->capture_default_str();
            app.add_option("--batch", s.batch, "sentence pairs per pre-training step")
                ->capture_default_str()
                ->check(CLI::PositiveNumber);
            app.add_option("--lr", s.lr, "pre-training AdamW learning rate (after warm-up)")->capture_default_str();
            app.add_option("--warmup", s.warmup, "warm-up steps")->capture_default_str()->check(CLI::PositiveNumber);
            app.add_option("--tag-steps", s.tag_steps, "training steps of each tagger")
                ->capture_default_str()
                ->check(CLI::PositiveNumber);
            app.add_option("--threads", s.threads, "OpenMP threads (0: OpenMP's default)")->capture_default_str();
        },
        [&](const ex::ExampleOptions& opts) { run(opts, s); });
}
