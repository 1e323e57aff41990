#pragma once
// Language-model batches from a stream of token ids: inputs x (B, T) and
// targets y = x shifted by one, drawn at random offsets (as nanoGPT's
// get_batch) or in sequential order (for reproducible comparisons and for
// evaluating a whole file).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tensor/generator.h"
#include "tensor/tensor.h"

namespace peso::nn::data {

enum class BatchOrder { random, sequential };

class TokenBatches {
public:
    // tokens must hold at least block_size + 1 ids.
    TokenBatches(std::vector<std::int32_t> tokens, std::int64_t batch_size, std::int64_t block_size, BatchOrder order,
                 std::uint64_t seed = 1337);

    // The next (x, y) pair, both (B, T) int64.
    std::pair<Tensor, Tensor> next();

    // How many non-overlapping windows of block_size + 1 tokens the stream holds
    // (one sequential pass over it), and the batch at window `w` onwards.
    std::int64_t num_windows() const;
    std::pair<Tensor, Tensor> window_batch(std::int64_t first_window, std::int64_t count) const;

    // Resumable position: the random generator's offset or the sequential cursor.
    std::uint64_t position() const;
    void set_position(std::uint64_t p);

    std::int64_t size() const { return static_cast<std::int64_t>(tokens_.size()); }

private:
    std::pair<Tensor, Tensor> gather(const std::vector<std::int64_t>& starts) const;

    std::vector<std::int32_t> tokens_;
    std::int64_t batch_, block_;
    BatchOrder order_;
    Generator gen_;
    std::int64_t cursor_ = 0;
};

// Splits ids into a first `train_fraction` part and the rest (nanoGPT's 90/10).
std::pair<std::vector<std::int32_t>, std::vector<std::int32_t>> split_tokens(const std::vector<std::int32_t>& ids,
                                                                             double train_fraction);

// A binary cache of a tokenized file: written atomically, and used only when
// its `key` (e.g. the tokenizer's identity and the source's size and mtime)
// matches; otherwise nullopt.
void save_token_cache(const std::string& path, const std::string& key, const std::vector<std::int32_t>& ids);
std::optional<std::vector<std::int32_t>> load_token_cache(const std::string& path, const std::string& key);

}  // namespace peso::nn::data
