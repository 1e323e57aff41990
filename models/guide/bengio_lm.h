#pragma once
// Bengio et al.'s neural probabilistic language model (2003): the n - 1
// previous words are looked up in a shared table C, concatenated into x, and
//   y = b + W x + U tanh(d + H x),   p(w_t | context) = softmax(y)
// where W x are the "direct connections" from the embeddings to the output
// (the paper's optional shortcut) and U tanh(d + H x) the hidden layer.
#include <cstdint>
#include <memory>

#include "nn/embedding.h"
#include "nn/linear.h"

namespace peso::models {

struct BengioLmConfig {
    std::int64_t vocab_size = 0;
    std::int64_t context = 3;    // n - 1 previous words
    std::int64_t dim = 16;       // m, the embedding size
    std::int64_t hidden = 64;    // h
    double embedding_std = 0.1;  // C starts at N(0, embedding_std^2)
    bool direct = true;          // keep the direct connections W x + b
};

class BengioLm : public nn::Module {
public:
    explicit BengioLm(const BengioLmConfig& config, Generator* gen = nullptr);

    // context (B, n - 1) int64 word ids -> (B, vocab) log-probabilities of the next word.
    Tensor forward(const Tensor& context) const;
    // Mean negative log-likelihood of the next words target (B).
    Tensor loss(const Tensor& context, const Tensor& target) const;

    const BengioLmConfig& config() const { return config_; }
    std::string type_name() const override { return "BengioLm"; }

    std::shared_ptr<nn::Embedding> C;  // (vocab, m)
    std::shared_ptr<nn::Linear> H;     // (n-1)m -> h, bias d
    std::shared_ptr<nn::Linear> U;     // h -> vocab, no bias
    std::shared_ptr<nn::Linear> W;     // (n-1)m -> vocab, bias b (null when !direct)
    Tensor b;                          // (vocab): the output bias when !direct

private:
    BengioLmConfig config_;
};

}  // namespace peso::models
