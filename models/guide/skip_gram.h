#pragma once
// Skip-gram word embeddings (Mikolov et al., 2013), the guide's second
// chapter: each word w gets a vector e_w, trained so that it predicts the
// words around it. Two objectives:
//  - SkipGramNegativeSampling: a second table holds context vectors c; a
//    (word, context) pair seen in the corpus should get sigma(c . e) close to
//    1, and k context words drawn at random sigma(n . e) close to 0 (binary
//    cross-entropy);
//  - SkipGramSoftmax, the original formulation: p(context | word) =
//    softmax(C e_w) over the whole vocabulary, trained on its negative
//    log-likelihood (one row of C per vocabulary word).
#include <cstdint>
#include <memory>

#include "nn/embedding.h"

namespace peso::models {

class SkipGramNegativeSampling : public nn::Module {
public:
    // Both tables start at N(0, init_std^2): small, so that sigma(c . e) starts
    // near 0.5 and no word pair begins saturated.
    SkipGramNegativeSampling(std::int64_t vocab_size, std::int64_t dim, double init_std = 0.1,
                             Generator* gen = nullptr);

    // word (B), context (B), negatives (B, k), all int64 word ids -> the mean
    // over the B pairs of -log sigma(c . e) - sum_j log sigma(-n_j . e), the
    // binary cross-entropy of the true pair (label 1) and its k negatives (label 0).
    Tensor loss(const Tensor& word, const Tensor& context, const Tensor& negatives) const;
    // sigma(c . e) for word (B) and context (B): the model's belief that the
    // pair occurs together.
    Tensor pair_probability(const Tensor& word, const Tensor& context) const;
    // The word vectors, (vocab, dim): the target table, as word2vec keeps.
    Tensor embeddings() const { return words->weight; }

    std::string type_name() const override { return "SkipGramNegativeSampling"; }

    std::shared_ptr<nn::Embedding> words;     // e: (vocab, dim)
    std::shared_ptr<nn::Embedding> contexts;  // c: (vocab, dim)
};

class SkipGramSoftmax : public nn::Module {
public:
    SkipGramSoftmax(std::int64_t vocab_size, std::int64_t dim, double init_std = 0.1, Generator* gen = nullptr);

    // word (B) -> (B, vocab): log p(context = v | word) = log softmax(C e_word)_v.
    Tensor forward(const Tensor& word) const;
    // Mean negative log-likelihood of the observed contexts (B).
    Tensor loss(const Tensor& word, const Tensor& context) const;
    Tensor embeddings() const { return words->weight; }

    std::string type_name() const override { return "SkipGramSoftmax"; }

    std::shared_ptr<nn::Embedding> words;     // e: (vocab, dim)
    std::shared_ptr<nn::Embedding> contexts;  // C: (vocab, dim), the output layer's weights
};

}  // namespace peso::models
