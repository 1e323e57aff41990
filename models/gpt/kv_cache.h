#pragma once
// The keys and values of every layer for the tokens seen so far, so that
// generating a token attends to the prefix without recomputing it.
#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace peso::models {

struct LayerKv {
    Tensor k, v;  // (B, n_head, block_size, head_dim), filled up to `length`
};

class KvCache {
public:
    KvCache(std::int64_t n_layer, std::int64_t batch, std::int64_t n_head, std::int64_t block_size,
            std::int64_t head_dim, TensorOptions opts);
    LayerKv& layer(std::size_t i) { return layers_.at(i); }
    std::int64_t length() const { return length_; }   // tokens stored
    std::int64_t capacity() const { return capacity_; }
    std::int64_t batch() const { return batch_; }
    void advance(std::int64_t n) { length_ += n; }
    void clear() { length_ = 0; }

private:
    std::vector<LayerKv> layers_;
    std::int64_t length_ = 0, capacity_, batch_;
};

}  // namespace peso::models
