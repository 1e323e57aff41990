#include "models/guide/skip_gram.h"

#include "nn/init.h"
#include "nn/losses.h"

namespace peso::models {

namespace F = nn::functional;

namespace {

std::shared_ptr<nn::Embedding> small_table(std::int64_t vocab_size, std::int64_t dim, double init_std, Generator* gen) {
    PESO_CHECK(vocab_size >= 2 && dim >= 1 && init_std > 0, ValueError,
               "SkipGram: needs vocab_size >= 2, dim >= 1 and init_std > 0, got {}, {}, {}", vocab_size, dim, init_std);
    auto table = std::make_shared<nn::Embedding>(vocab_size, dim, std::nullopt, kDefaultDType, gen);
    nn::init::normal_(table->weight, 0.0, init_std, gen);
    return table;
}

}  // namespace

SkipGramNegativeSampling::SkipGramNegativeSampling(std::int64_t vocab_size, std::int64_t dim, double init_std,
                                                   Generator* gen) {
    words = register_module("words", small_table(vocab_size, dim, init_std, gen));
    contexts = register_module("contexts", small_table(vocab_size, dim, init_std, gen));
}

Tensor SkipGramNegativeSampling::pair_probability(const Tensor& word, const Tensor& context) const {
    // (B, d) * (B, d) summed over d: one dot product per pair -> (B).
    return sigmoid(sum(mul(words->forward(word), contexts->forward(context)), {-1}));
}

Tensor SkipGramNegativeSampling::loss(const Tensor& word, const Tensor& context, const Tensor& negatives) const {
    PESO_CHECK(
        word.dim() == 1 && context.sizes() == word.sizes() && negatives.dim() == 2 && negatives.size(0) == word.size(0),
        ShapeError, "SkipGramNegativeSampling: expected word (B), context (B), negatives (B, k), got {}, {}, {}",
        word.sizes(), context.sizes(), negatives.sizes());
    const std::int64_t batch = word.size(0), k = negatives.size(1);
    const Tensor e = words->forward(word);                                  // (B, d)
    const Tensor positive = sum(mul(e, contexts->forward(context)), {-1});  // (B): c . e
    // (B, k, d) * (B, 1, d) summed over d -> (B, k): n_j . e for every negative j.
    const Tensor negative = sum(mul(contexts->forward(negatives), unsqueeze(e, 1)), {-1});
    const Tensor probs = sigmoid(cat({unsqueeze(positive, 1), negative}, 1));  // (B, 1 + k)
    const Tensor labels = cat({ones({batch, 1}, probs.options()), zeros({batch, k}, probs.options())}, 1);
    // Summed over the 1 + k terms of a pair, averaged over the pairs.
    return div(F::binary_cross_entropy(probs, labels, {}, nn::Reduction::Sum), static_cast<double>(batch));
}

SkipGramSoftmax::SkipGramSoftmax(std::int64_t vocab_size, std::int64_t dim, double init_std, Generator* gen) {
    words = register_module("words", small_table(vocab_size, dim, init_std, gen));
    contexts = register_module("contexts", small_table(vocab_size, dim, init_std, gen));
}

Tensor SkipGramSoftmax::forward(const Tensor& word) const {
    PESO_CHECK(word.dim() == 1, ShapeError, "SkipGramSoftmax: expected word ids (B), got {}", word.sizes());
    // (B, d) @ (d, vocab) -> (B, vocab): the score of every vocabulary word as the context.
    return log_softmax(matmul(words->forward(word), contexts->weight.t()), -1);
}

Tensor SkipGramSoftmax::loss(const Tensor& word, const Tensor& context) const {
    return F::nll_loss(forward(word), context);
}

}  // namespace peso::models
