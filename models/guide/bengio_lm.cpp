#include "models/guide/bengio_lm.h"

#include "nn/init.h"
#include "nn/losses.h"

namespace peso::models {

BengioLm::BengioLm(const BengioLmConfig& c, Generator* gen) : config_(c) {
    PESO_CHECK(c.vocab_size >= 2 && c.context >= 1 && c.dim >= 1 && c.hidden >= 1, ValueError,
               "BengioLm: needs vocab_size >= 2 and positive context, dim, hidden; got {}, {}, {}, {}", c.vocab_size,
               c.context, c.dim, c.hidden);
    const std::int64_t in = c.context * c.dim;
    C = register_module("C", std::make_shared<nn::Embedding>(c.vocab_size, c.dim, std::nullopt, kDefaultDType, gen));
    // Small starting vectors (not N(0, 1)): the structure training gives them,
    // not the random start, then dominates their geometry.
    nn::init::normal_(C->weight, 0.0, c.embedding_std, gen);
    H = register_module("H", std::make_shared<nn::Linear>(in, c.hidden, true, kDefaultDType, gen));
    U = register_module("U", std::make_shared<nn::Linear>(c.hidden, c.vocab_size, false, kDefaultDType, gen));
    if (c.direct)
        W = register_module("W", std::make_shared<nn::Linear>(in, c.vocab_size, true, kDefaultDType, gen));
    else
        b = register_parameter("b", zeros({c.vocab_size}));
}

Tensor BengioLm::forward(const Tensor& context) const {
    PESO_CHECK(context.dim() == 2 && context.size(1) == config_.context, ShapeError,
               "BengioLm: expected context ids (B, {}), got {}", config_.context, context.sizes());
    // (B, n-1) -> (B, n-1, m) -> (B, (n-1)m): the context words' vectors side by side.
    const Tensor x = flatten(C->forward(context), 1);
    const Tensor hidden = U->forward(tanh(H->forward(x)));                          // U tanh(d + H x): (B, vocab)
    const Tensor y = config_.direct ? add(W->forward(x), hidden) : add(hidden, b);  // b + W x + ...
    return log_softmax(y, -1);
}

Tensor BengioLm::loss(const Tensor& context, const Tensor& target) const {
    return nn::functional::nll_loss(forward(context), target);
}

}  // namespace peso::models
