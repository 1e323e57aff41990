#pragma once
// Cosine similarity along a dim, as torch.nn.CosineSimilarity.
#include "nn/module.h"

namespace peso::nn {

namespace functional {
// sum(x1 * x2, dim) / sqrt(max(|x1|^2, eps^2) * max(|x2|^2, eps^2)), after
// broadcasting x1 with x2; the result drops `dim`.
Tensor cosine_similarity(const Tensor& x1, const Tensor& x2, std::int64_t dim = 1, double eps = 1e-8);
}  // namespace functional

class CosineSimilarity : public Module {
public:
    explicit CosineSimilarity(std::int64_t dim = 1, double eps = 1e-8) : dim_(dim), eps_(eps) {}
    Tensor forward(const Tensor& x1, const Tensor& x2) const {
        return functional::cosine_similarity(x1, x2, dim_, eps_);
    }
    std::int64_t dim() const { return dim_; }
    double eps() const { return eps_; }
    std::string type_name() const override { return "CosineSimilarity"; }

private:
    std::int64_t dim_;
    double eps_;
};

}  // namespace peso::nn
