#pragma once
// A feed-forward language model over a fixed window of previous words, as in
// the guide's third chapter: the context words' embeddings, concatenated, go
// through one hidden layer with ReLU and an output layer over the vocabulary:
//   e = [E w_{t-n+1}; ...; E w_{t-1}],  h = relu(W1 e + b1),
//   p(w_t | context) = softmax(W2 h + b2).
#include <cstdint>
#include <memory>

#include "nn/embedding.h"
#include "nn/linear.h"

namespace peso::models {

struct FfnLmConfig {
    std::int64_t vocab_size = 0;
    std::int64_t context = 3;  // previous words seen
    std::int64_t dim = 16;     // embedding size
    std::int64_t hidden = 64;
    double embedding_std = 0.1;  // the embeddings start at N(0, embedding_std^2)
};

class FfnLm : public nn::Module {
public:
    explicit FfnLm(const FfnLmConfig& config, Generator* gen = nullptr);

    // context (B, n) int64 word ids -> (B, vocab) log-probabilities of the next word.
    Tensor forward(const Tensor& context) const;
    // Mean negative log-likelihood of the next words target (B).
    Tensor loss(const Tensor& context, const Tensor& target) const;

    const FfnLmConfig& config() const { return config_; }
    std::string type_name() const override { return "FfnLm"; }

    std::shared_ptr<nn::Embedding> embedding;  // E: (vocab, dim)
    std::shared_ptr<nn::Linear> hidden;        // W1, b1: n * dim -> hidden
    std::shared_ptr<nn::Linear> output;        // W2, b2: hidden -> vocab

private:
    FfnLmConfig config_;
};

}  // namespace peso::models
