#pragma once
// Position information added to token embeddings: the fixed sinusoids of
// "Attention Is All You Need" and a learned table (GPT-2's wpe).
#include <memory>

#include "nn/dropout.h"
#include "nn/module.h"

namespace peso::nn {

// pe[pos, 2i] = sin(pos / 10000^(2i/d)), pe[pos, 2i+1] = cos(pos / 10000^(2i/d)),
// held in the non-persistent buffer "pe" (max_len, d_model): it moves with
// to() but is not saved in state_dict(). forward returns dropout(x + pe).
class SinusoidalPositionalEncoding : public Module {
public:
    explicit SinusoidalPositionalEncoding(std::int64_t d_model, std::int64_t max_len = 5000, double dropout = 0.0,
                                          DType dtype = kDefaultDType);

    // x (..., T, d_model): position `offset + t` is added to row t.
    Tensor forward(const Tensor& x, std::int64_t offset = 0) const;
    // pe rows [offset, offset + length): (length, d_model).
    Tensor encoding(std::int64_t length, std::int64_t offset = 0) const;

    std::int64_t d_model() const { return d_model_; }
    std::int64_t max_len() const { return max_len_; }
    std::string type_name() const override { return "SinusoidalPositionalEncoding"; }
    std::string extra_repr() const override;

    Tensor pe;
    std::shared_ptr<Dropout> dropout;

private:
    std::int64_t d_model_, max_len_;
};

// A learned (max_len, d_model) table "weight" ~ N(0, 1), as an nn.Embedding
// indexed by position.
class LearnedPositionalEmbedding : public Module {
public:
    LearnedPositionalEmbedding(std::int64_t max_len, std::int64_t d_model, DType dtype = kDefaultDType,
                               Generator* gen = nullptr);

    // x (..., T, d_model) + weight[offset : offset + T].
    Tensor forward(const Tensor& x, std::int64_t offset = 0) const;
    // weight[offset : offset + length]: (length, d_model), differentiable.
    Tensor encoding(std::int64_t length, std::int64_t offset = 0) const;

    void replace_parameter(const std::string& name, const Tensor& t) override;

    std::int64_t max_len() const { return weight.size(0); }
    std::int64_t d_model() const { return weight.size(1); }
    std::string type_name() const override { return "LearnedPositionalEmbedding"; }
    std::string extra_repr() const override;

    Tensor weight;
};

}  // namespace peso::nn
