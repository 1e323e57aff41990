#include "models/guide/ffn_lm.h"

#include "nn/init.h"
#include "nn/losses.h"

namespace peso::models {

FfnLm::FfnLm(const FfnLmConfig& c, Generator* gen) : config_(c) {
    PESO_CHECK(c.vocab_size >= 2 && c.context >= 1 && c.dim >= 1 && c.hidden >= 1, ValueError,
               "FfnLm: needs vocab_size >= 2 and positive context, dim, hidden; got {}, {}, {}, {}", c.vocab_size,
               c.context, c.dim, c.hidden);
    embedding = register_module("embedding",
                                std::make_shared<nn::Embedding>(c.vocab_size, c.dim, std::nullopt, kDefaultDType, gen));
    // Small starting vectors (not N(0, 1)): the structure training gives them,
    // not the random start, then dominates their geometry.
    nn::init::normal_(embedding->weight, 0.0, c.embedding_std, gen);
    hidden =
        register_module("hidden", std::make_shared<nn::Linear>(c.context * c.dim, c.hidden, true, kDefaultDType, gen));
    output = register_module("output", std::make_shared<nn::Linear>(c.hidden, c.vocab_size, true, kDefaultDType, gen));
}

Tensor FfnLm::forward(const Tensor& context) const {
    PESO_CHECK(context.dim() == 2 && context.size(1) == config_.context, ShapeError,
               "FfnLm: expected context ids (B, {}), got {}", config_.context, context.sizes());
    const Tensor e = flatten(embedding->forward(context), 1);  // (B, n) -> (B, n, dim) -> (B, n * dim)
    const Tensor h = relu(hidden->forward(e));                 // (B, hidden)
    return log_softmax(output->forward(h), -1);                // (B, vocab)
}

Tensor FfnLm::loss(const Tensor& context, const Tensor& target) const {
    return nn::functional::nll_loss(forward(context), target);
}

}  // namespace peso::models
