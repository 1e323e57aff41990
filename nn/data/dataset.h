#pragma once
// Dataset: indexed examples, as torch.utils.data.Dataset (map-style). An
// example is any copyable type: a std::vector<Tensor> (the default, like a
// Python tuple of tensors), a single Tensor, or a struct of the user's.
#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace peso::nn::data {

template <typename E = std::vector<Tensor>> class Dataset {
public:
    using Example = E;
    virtual ~Dataset() = default;
    virtual std::int64_t size() const = 0;
    // Example `index`, for 0 <= index < size().
    virtual E get(std::int64_t index) const = 0;
};

// Rows of tensors that share their first dimension: example i is
// {t[i] for t in tensors} (views, no copy), as torch's TensorDataset.
class TensorDataset : public Dataset<std::vector<Tensor>> {
public:
    explicit TensorDataset(std::vector<Tensor> tensors);
    std::int64_t size() const override { return size_; }
    std::vector<Tensor> get(std::int64_t index) const override;
    const std::vector<Tensor>& tensors() const { return tensors_; }

private:
    std::vector<Tensor> tensors_;
    std::int64_t size_ = 0;
};

}  // namespace peso::nn::data
