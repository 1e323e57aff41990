#pragma once
// What the chapter's two programs share: the word vocabulary with BERT's
// special tokens, the tagged sentences ("word/TAG" per token), batches of
// [CLS] w1 .. wn [SEP] [PAD].. with tags only on the words, and the training
// and scoring of an EncoderTagger (accuracy over words only: [CLS], [SEP]
// and padding are excluded).
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "examples/common/plot.h"
#include "models/guide/bert.h"

namespace peso::examples::ch6 {

// Special tokens first, then words: [PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, [MASK] 4.
enum SpecialToken : std::int64_t { kPad = 0, kUnk = 1, kCls = 2, kSep = 3, kMask = 4, kFirstWord = 5 };
inline constexpr std::int64_t kIgnore = -100;  // label of positions that are not scored

class Vocab {
public:
    Vocab();
    void add(const std::string& word);
    std::int64_t id(const std::string& word) const;  // kUnk when absent
    bool contains(const std::string& word) const { return ids_.count(word) == 1; }
    const std::string& word(std::int64_t id) const { return words_.at(static_cast<std::size_t>(id)); }
    std::int64_t size() const { return static_cast<std::int64_t>(words_.size()); }

private:
    std::vector<std::string> words_;
    std::unordered_map<std::string, std::int64_t> ids_;
};

struct TaggedSentence {
    std::vector<std::string> words, tags;
};

// One sentence per non-empty line, tokens "word/TAG" separated by spaces;
// errors name the file and line.
std::vector<TaggedSentence> read_tagged(const std::filesystem::path& file);

// Paragraphs (separated by blank lines) of sentences (one per line) of words.
using Paragraph = std::vector<std::vector<std::string>>;
std::vector<Paragraph> read_paragraphs(const std::filesystem::path& file);

class TagSet {
public:
    explicit TagSet(const std::vector<TaggedSentence>& sentences);
    std::int64_t id(const std::string& tag) const;  // ValueError for a tag not seen in training
    const std::string& name(std::int64_t id) const { return names_.at(static_cast<std::size_t>(id)); }
    std::int64_t size() const { return static_cast<std::int64_t>(names_.size()); }

private:
    std::vector<std::string> names_;
};

struct TagBatch {
    Tensor ids;   // (B, T) int64
    Tensor tags;  // (B, T) int64, kIgnore on [CLS], [SEP] and [PAD]
};

// word_dropout: the chance that a word is shown as [UNK] (training only), so
// that a tagger learns to tag words it does not know from their context.
TagBatch make_tag_batch(const std::vector<const TaggedSentence*>& sentences, const Vocab& vocab, const TagSet& tags,
                        double word_dropout = 0.0, Generator* gen = nullptr);

struct TaggerTraining {
    std::int64_t steps = 300;
    std::int64_t batch = 16;
    double lr = 1e-3;
    double word_dropout = 0.0;
};

// AdamW (weight decay 0.01) on `params` only, gradients clipped to norm 1.
// The model's train/eval modes are the caller's.
LossCurve train_tagger(models::EncoderTagger& model, const std::vector<Tensor>& params,
                       const std::vector<TaggedSentence>& train, const Vocab& vocab, const TagSet& tags,
                       const TaggerTraining& settings, Generator& gen);

struct TagScore {
    double accuracy = 0;         // over every word
    double unseen_accuracy = 0;  // over words absent from the tagged training sentences
    std::int64_t words = 0, unseen_words = 0;
    std::vector<std::vector<double>> confusion;  // [gold][predicted] counts
    std::vector<std::vector<std::string>> predicted;  // per sentence
};

TagScore evaluate_tagger(models::EncoderTagger& model, const std::vector<TaggedSentence>& sentences,
                         const Vocab& vocab, const TagSet& tags, const std::set<std::string>& training_words);

std::set<std::string> words_of(const std::vector<TaggedSentence>& sentences);

}  // namespace peso::examples::ch6
