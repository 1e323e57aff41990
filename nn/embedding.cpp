#include "nn/embedding.h"

#include "nn/init.h"

namespace peso::nn {

namespace {

std::optional<std::int64_t> wrap_padding_idx(std::optional<std::int64_t> padding_idx, std::int64_t num) {
    if (!padding_idx) return padding_idx;
    PESO_CHECK(*padding_idx >= -num && *padding_idx < num, IndexError,
               "Embedding: padding_idx {} must be within [-{}, {})", *padding_idx, num, num);
    return *padding_idx < 0 ? *padding_idx + num : *padding_idx;
}

}  // namespace

namespace functional {

Tensor embedding(const Tensor& indices, const Tensor& weight, std::optional<std::int64_t> padding_idx) {
    Tensor out = peso::embedding(weight, indices);
    if (padding_idx && out.requires_grad()) {
        // PyTorch's embedding backward skips the padding row; masking the
        // output's gradient where indices == padding_idx does the same and
        // leaves other users of a shared weight untouched.
        const Tensor pad_positions = native::eq(indices, *padding_idx).unsqueeze(-1);
        out.register_hook([pad_positions](const Tensor& g) { return masked_fill(g, pad_positions, 0.0); });
    }
    return out;
}

}  // namespace functional

Embedding::Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim,
                     std::optional<std::int64_t> padding_idx, DType dtype, Generator* gen) {
    PESO_CHECK(num_embeddings >= 0 && embedding_dim >= 0, ValueError,
               "Embedding: num_embeddings and embedding_dim must be >= 0, got {} and {}", num_embeddings,
               embedding_dim);
    padding_idx_ = wrap_padding_idx(padding_idx, num_embeddings);
    weight = register_parameter("weight", empty({num_embeddings, embedding_dim}, dtype));
    init::normal_(weight, 0.0, 1.0, gen);
    if (padding_idx_) {
        NoGradGuard g;
        init::zeros_(weight.select(0, *padding_idx_));
    }
}

Embedding::Embedding(const Tensor& w, std::optional<std::int64_t> padding_idx) {
    PESO_CHECK(w.defined() && w.dim() == 2, ShapeError,
               "Embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape {}",
               w.defined() ? w.sizes() : Dims{});
    padding_idx_ = wrap_padding_idx(padding_idx, w.size(0));
    weight = register_parameter("weight", w);
}

std::shared_ptr<Embedding> Embedding::from_pretrained(const Tensor& weights, bool freeze,
                                                      std::optional<std::int64_t> padding_idx) {
    PESO_CHECK(weights.defined() && weights.dim() == 2, ShapeError,
               "Embedding.from_pretrained: embeddings must be 2-D, got shape {}",
               weights.defined() ? weights.sizes() : Dims{});
    auto e = std::make_shared<Embedding>(weights.detach(), padding_idx);
    e->weight.requires_grad_(!freeze);
    return e;
}

Tensor Embedding::forward(const Tensor& indices) const {
    PESO_CHECK(indices.defined(), ValueError, "Embedding: undefined indices");
    PESO_CHECK(indices.dtype() == DType::i64 || indices.dtype() == DType::i32, DTypeError,
               "Embedding({}, {}): indices must be int64 or int32, got {} (shape {})", num_embeddings(),
               embedding_dim(), indices.dtype(), indices.sizes());
    return functional::embedding(indices, weight, padding_idx_);
}

void Embedding::replace_parameter(const std::string& name, const Tensor& t) {
    PESO_CHECK(name != "weight" || (t.defined() && t.sizes() == weight.sizes()), ShapeError,
               "Embedding.replace_parameter: 'weight' has shape {}, the replacement has shape {}", weight.sizes(),
               t.defined() ? t.sizes() : Dims{});
    Module::replace_parameter(name, t);
    if (name == "weight") weight = t;
}

std::string Embedding::extra_repr() const {
    std::string s = fmt::format("{}, {}", num_embeddings(), embedding_dim());
    if (padding_idx_) s += fmt::format(", padding_idx={}", *padding_idx_);
    return s;
}

}  // namespace peso::nn
