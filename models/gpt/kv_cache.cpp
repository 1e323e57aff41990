#include "models/gpt/kv_cache.h"

#include "peso.h"

namespace peso::models {

KvCache::KvCache(std::int64_t n_layer, std::int64_t batch, std::int64_t n_head, std::int64_t block_size,
                 std::int64_t head_dim, TensorOptions opts)
    : capacity_(block_size), batch_(batch) {
    for (std::int64_t i = 0; i < n_layer; ++i)
        layers_.push_back({zeros({batch, n_head, block_size, head_dim}, opts), zeros({batch, n_head, block_size, head_dim}, opts)});
}

}  // namespace peso::models
