#include "nn/data/dataset.h"

namespace peso::nn::data {

TensorDataset::TensorDataset(std::vector<Tensor> tensors) : tensors_(std::move(tensors)) {
    PESO_CHECK(!tensors_.empty(), ValueError, "TensorDataset: needs at least one tensor");
    for (std::size_t k = 0; k < tensors_.size(); ++k) {
        PESO_CHECK(tensors_[k].defined() && tensors_[k].dim() >= 1, ShapeError,
                   "TensorDataset: tensor {} must have at least one dimension", k);
        PESO_CHECK(tensors_[k].size(0) == tensors_[0].size(0), ShapeError,
                   "TensorDataset: tensor {} has shape {} but tensor 0 has shape {}; the first dimensions must match",
                   k, tensors_[k].sizes(), tensors_[0].sizes());
    }
    size_ = tensors_[0].size(0);
}

std::vector<Tensor> TensorDataset::get(std::int64_t index) const {
    PESO_CHECK(index >= 0 && index < size_, IndexError, "TensorDataset: index {} out of range for {} examples",
               index, size_);
    std::vector<Tensor> out;
    for (const Tensor& t : tensors_) out.push_back(t.select(0, index));
    return out;
}

}  // namespace peso::nn::data
