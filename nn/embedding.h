#pragma once
// Embedding: a lookup table of num_embeddings rows, as torch.nn.Embedding.
#include <optional>

#include "nn/module.h"

namespace peso::nn {

namespace functional {
// weight[indices]: indices (int64/int32) of any shape -> shape + (dim). The
// row padding_idx (if given) receives no gradient; its value is returned as is.
Tensor embedding(const Tensor& indices, const Tensor& weight, std::optional<std::int64_t> padding_idx = {});
}  // namespace functional

class Embedding : public Module {
public:
    // weight ~ N(0, 1), the padding_idx row (negative counts from the end) zero.
    Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim,
              std::optional<std::int64_t> padding_idx = std::nullopt, DType dtype = kDefaultDType,
              Generator* gen = nullptr);
    // An Embedding whose parameter IS `weight` (num, dim): shared, not copied;
    // like nn.Parameter(t), this makes the tensor require grad.
    explicit Embedding(const Tensor& weight, std::optional<std::int64_t> padding_idx = std::nullopt);

    // As torch.nn.Embedding.from_pretrained: the table holds `weights`' data
    // (shared, like PyTorch's Parameter(embeddings)), requires no grad when
    // `freeze`, and its padding row is left as given.
    static std::shared_ptr<Embedding> from_pretrained(const Tensor& weights, bool freeze = true,
                                                      std::optional<std::int64_t> padding_idx = std::nullopt);

    // indices of any shape -> (*indices.shape, embedding_dim).
    Tensor forward(const Tensor& indices) const;

    void replace_parameter(const std::string& name, const Tensor& t) override;

    std::int64_t num_embeddings() const { return weight.size(0); }
    std::int64_t embedding_dim() const { return weight.size(1); }
    std::optional<std::int64_t> padding_idx() const { return padding_idx_; }
    std::string type_name() const override { return "Embedding"; }
    std::string extra_repr() const override;

    Tensor weight;  // (num_embeddings, embedding_dim)

private:
    std::optional<std::int64_t> padding_idx_;
};

}  // namespace peso::nn
