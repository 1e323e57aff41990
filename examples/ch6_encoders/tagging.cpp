#include "examples/ch6_encoders/tagging.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "nn/clip_grad.h"
#include "nn/losses.h"
#include "nn/optim/adam.h"
#include "peso.h"

namespace peso::examples::ch6 {

namespace fs = std::filesystem;

Vocab::Vocab() {
    for (const char* s : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}) add(s);
}

void Vocab::add(const std::string& word) {
    if (contains(word)) return;
    ids_.emplace(word, size());
    words_.push_back(word);
}

std::int64_t Vocab::id(const std::string& word) const {
    const auto it = ids_.find(word);
    return it == ids_.end() ? kUnk : it->second;
}

namespace {

std::ifstream open(const fs::path& file) {
    std::ifstream f(file);
    PESO_CHECK(f.good(), IOError, "cannot read {}", file.string());
    return f;
}

std::vector<std::string> split_words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

}  // namespace

std::vector<TaggedSentence> read_tagged(const fs::path& file) {
    std::ifstream f = open(file);
    std::vector<TaggedSentence> out;
    std::int64_t line_no = 0;
    for (std::string line; std::getline(f, line);) {
        ++line_no;
        const auto tokens = split_words(line);
        if (tokens.empty()) continue;
        TaggedSentence s;
        for (const auto& t : tokens) {
            const auto slash = t.rfind('/');
            PESO_CHECK(slash != std::string::npos && slash > 0 && slash + 1 < t.size(), ValueError,
                       "{}:{}: expected word/TAG, got '{}'", file.string(), line_no, t);
            s.words.push_back(t.substr(0, slash));
            s.tags.push_back(t.substr(slash + 1));
        }
        out.push_back(std::move(s));
    }
    PESO_CHECK(!out.empty(), ValueError, "{}: no tagged sentences", file.string());
    return out;
}

std::vector<Paragraph> read_paragraphs(const fs::path& file) {
    std::ifstream f = open(file);
    std::vector<Paragraph> out(1);
    for (std::string line; std::getline(f, line);) {
        auto words = split_words(line);
        if (words.empty()) {
            if (!out.back().empty()) out.emplace_back();
        } else {
            out.back().push_back(std::move(words));
        }
    }
    if (out.back().empty()) out.pop_back();
    PESO_CHECK(!out.empty(), ValueError, "{}: no sentences", file.string());
    return out;
}

TagSet::TagSet(const std::vector<TaggedSentence>& sentences) {
    std::set<std::string> all;
    for (const auto& s : sentences) all.insert(s.tags.begin(), s.tags.end());
    names_.assign(all.begin(), all.end());
}

std::int64_t TagSet::id(const std::string& tag) const {
    const auto it = std::lower_bound(names_.begin(), names_.end(), tag);
    PESO_CHECK(it != names_.end() && *it == tag, ValueError, "tag '{}' does not occur in the training sentences", tag);
    return it - names_.begin();
}

TagBatch make_tag_batch(const std::vector<const TaggedSentence*>& sentences, const Vocab& vocab, const TagSet& tags,
                        double word_dropout, Generator* gen) {
    std::size_t longest = 0;
    for (const auto* s : sentences) longest = std::max(longest, s->words.size());
    const auto B = static_cast<std::int64_t>(sentences.size()), T = static_cast<std::int64_t>(longest) + 2;
    std::vector<std::int64_t> ids(B * T, kPad), labels(B * T, kIgnore);
    std::vector<float> drop;
    if (word_dropout > 0) drop = rand({B, T}, {}, gen).to_vector<float>();
    for (std::int64_t b = 0; b < B; ++b) {
        const TaggedSentence& s = *sentences[b];
        const auto n = static_cast<std::int64_t>(s.words.size());
        ids[b * T] = kCls;
        for (std::int64_t i = 0; i < n; ++i) {
            const std::int64_t at = b * T + 1 + i;
            ids[at] = (!drop.empty() && drop[at] < word_dropout) ? kUnk : vocab.id(s.words[i]);
            labels[at] = tags.id(s.tags[i]);
        }
        ids[b * T + n + 1] = kSep;
    }
    return {from_vector<std::int64_t>(ids, Dims{B, T}), from_vector<std::int64_t>(labels, Dims{B, T})};
}

LossCurve train_tagger(models::EncoderTagger& model, const std::vector<Tensor>& params,
                       const std::vector<TaggedSentence>& train, const Vocab& vocab, const TagSet& tags,
                       const TaggerTraining& settings, Generator& gen) {
    nn::optim::AdamWOptions o;
    o.lr = settings.lr;
    nn::optim::AdamW opt(params, o);
    nn::CrossEntropyLossOptions ce;
    ce.ignore_index = kIgnore;
    LossCurve curve;
    const auto n = static_cast<std::int64_t>(train.size());
    for (std::int64_t step = 1; step <= settings.steps; ++step) {
        const auto picks = randint(0, n, {settings.batch}, TensorOptions(DType::i64), &gen).to_vector<std::int64_t>();
        std::vector<const TaggedSentence*> batch;
        for (std::int64_t i : picks) batch.push_back(&train[i]);
        const TagBatch tb = make_tag_batch(batch, vocab, tags, settings.word_dropout, &gen);
        const Tensor logits = model.forward(tb.ids);  // (B, T, K)
        const Tensor loss =
            nn::functional::cross_entropy(logits.reshape({-1, tags.size()}), tb.tags.reshape({-1}), ce);
        opt.zero_grad();
        loss.backward();
        nn::clip_grad_norm_(params, 1.0);
        opt.step();
        curve.add(step, loss.item<double>());
    }
    return curve;
}

TagScore evaluate_tagger(models::EncoderTagger& model, const std::vector<TaggedSentence>& sentences,
                         const Vocab& vocab, const TagSet& tags, const std::set<std::string>& training_words) {
    const bool was_training = model.is_training();
    model.eval();
    NoGradGuard no_grad;
    std::vector<const TaggedSentence*> all;
    for (const auto& s : sentences) all.push_back(&s);
    const TagBatch tb = make_tag_batch(all, vocab, tags);
    const auto pred = argmax(model.forward(tb.ids), -1).to_vector<std::int64_t>();
    model.train(was_training);
    const std::int64_t T = tb.ids.size(1);
    TagScore score;
    score.confusion.assign(tags.size(), std::vector<double>(tags.size(), 0.0));
    std::int64_t right = 0, unseen_right = 0;
    for (std::size_t b = 0; b < sentences.size(); ++b) {
        const TaggedSentence& s = sentences[b];
        std::vector<std::string> names;
        for (std::size_t i = 0; i < s.words.size(); ++i) {
            const std::int64_t p = pred[b * T + 1 + i], gold = tags.id(s.tags[i]);
            names.push_back(tags.name(p));
            score.confusion[gold][p] += 1;
            ++score.words;
            right += p == gold;
            if (training_words.count(s.words[i]) == 0) {
                ++score.unseen_words;
                unseen_right += p == gold;
            }
        }
        score.predicted.push_back(std::move(names));
    }
    score.accuracy = static_cast<double>(right) / static_cast<double>(score.words);
    score.unseen_accuracy =
        score.unseen_words ? static_cast<double>(unseen_right) / static_cast<double>(score.unseen_words) : 1.0;
    return score;
}

std::set<std::string> words_of(const std::vector<TaggedSentence>& sentences) {
    std::set<std::string> out;
    for (const auto& s : sentences) out.insert(s.words.begin(), s.words.end());
    return out;
}

}  // namespace peso::examples::ch6
