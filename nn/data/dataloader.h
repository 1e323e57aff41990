#pragma once
// DataLoader: batches of a Dataset's examples, in order or shuffled with a
// seeded permutation that changes every epoch and is the same on every run,
// with drop_last and a collate function (default: stack equal-shape
// tensors; pad_sequences for variable-length token sequences).
//
//   auto ds = std::make_shared<TensorDataset>(std::vector<Tensor>{x, y});
//   DataLoader<> loader(ds, {.batch_size = 32, .shuffle = true, .seed = 1});
//   for (int epoch = 0; epoch < 3; ++epoch)
//       for (std::vector<Tensor>& batch : loader) train_step(batch[0], batch[1]);
//
// A range-for runs the rest of the current epoch; the next one starts the
// next epoch. next() returns the batches one by one and std::nullopt once at
// the end of each epoch. The position (epoch, batch) is saved and restored
// with state_dict()/load_state_dict(), so a resumed run sees the same batches.
// Examples are loaded on the calling thread (no worker processes).
#include <algorithm>
#include <concepts>
#include <cstdint>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nn/data/dataset.h"

namespace peso::nn::data {

struct DataLoaderOptions {
    std::int64_t batch_size = 1;
    bool shuffle = false;
    bool drop_last = false;  // skip the last batch when it is smaller than batch_size
    std::uint64_t seed = 0;  // shuffling: epoch e's order depends on (seed, e) only
};

// The example order of one epoch: 0..n-1, or a permutation drawn with a
// Generator seeded from (seed, epoch).
std::vector<std::int64_t> epoch_order(std::int64_t n, bool shuffle, std::uint64_t seed, std::int64_t epoch);

// Stacks equal-shape tensors along a new first dim; throws naming the first
// example whose shape differs.
Tensor default_collate(const std::vector<Tensor>& examples);
// Stacks each field of tuple-like examples: {stack(x_i[0]), stack(x_i[1]), ...}.
std::vector<Tensor> default_collate(const std::vector<std::vector<Tensor>>& examples);

// Token sequences padded to one length.
struct PaddedBatch {
    Tensor tokens;        // (B, T) int64
    Tensor padding_mask;  // (B, T) bool, true at padding (MultiheadAttention's key_padding_mask convention)
    Tensor lengths;       // (B,) int64: tokens kept from each sequence
};

struct PadOptions {
    std::int64_t pad_value = 0;
    std::optional<std::int64_t> length;  // T; default: the longest sequence
    bool truncate = false;               // cut sequences longer than `length` (otherwise throw)
    bool pad_left = false;               // padding before the tokens (for batched generation)
};

// Sequences are 1-D integer tensors (int64 or int32), or vectors of ids.
PaddedBatch pad_sequences(const std::vector<Tensor>& sequences, const PadOptions& options = {});
PaddedBatch pad_sequences(const std::vector<std::vector<std::int64_t>>& sequences, const PadOptions& options = {});

template <typename E = std::vector<Tensor>, typename B = E> class DataLoader {
public:
    using Collate = std::function<B(const std::vector<E>&)>;

    DataLoader(std::shared_ptr<const Dataset<E>> dataset, DataLoaderOptions options, Collate collate)
        : dataset_(std::move(dataset)), options_(options), collate_(std::move(collate)) {
        PESO_CHECK(dataset_ != nullptr, ValueError, "DataLoader: the dataset is null");
        PESO_CHECK(options_.batch_size >= 1, ValueError, "DataLoader: batch_size must be positive, got {}",
                   options_.batch_size);
        PESO_CHECK(static_cast<bool>(collate_), ValueError, "DataLoader: the collate function is empty");
    }
    explicit DataLoader(std::shared_ptr<const Dataset<E>> dataset, DataLoaderOptions options = {})
        requires requires(const std::vector<E>& x) {
            { default_collate(x) } -> std::convertible_to<B>;
        }
        : DataLoader(std::move(dataset), options, [](const std::vector<E>& x) -> B { return default_collate(x); }) {}

    // Batches per epoch.
    std::int64_t size() const {
        const std::int64_t n = dataset_->size(), b = options_.batch_size;
        return options_.drop_last ? n / b : (n + b - 1) / b;
    }
    std::int64_t epoch() const { return epoch_; }
    std::int64_t batch_index() const { return batch_; }  // batches already returned in this epoch
    const DataLoaderOptions& options() const { return options_; }

    // The next batch of the current epoch; std::nullopt (once) when the epoch
    // is over, after which the next call starts the next epoch.
    std::optional<B> next() {
        if (batch_ >= size()) {
            ++epoch_;
            batch_ = 0;
            return std::nullopt;
        }
        const std::int64_t n = dataset_->size();
        if (order_epoch_ != epoch_ || static_cast<std::int64_t>(order_.size()) != n) {
            order_ = epoch_order(n, options_.shuffle, options_.seed, epoch_);
            order_epoch_ = epoch_;
        }
        const std::int64_t first = batch_ * options_.batch_size;
        const std::int64_t last = std::min(n, first + options_.batch_size);
        std::vector<E> examples;
        examples.reserve(static_cast<std::size_t>(last - first));
        for (std::int64_t i = first; i < last; ++i) examples.push_back(dataset_->get(order_[static_cast<std::size_t>(i)]));
        ++batch_;
        return collate_(examples);
    }

    class Iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = B;
        using difference_type = std::ptrdiff_t;
        using pointer = B*;
        using reference = B&;

        Iterator() = default;  // the end
        explicit Iterator(DataLoader* loader) : loader_(loader) { advance(); }
        B& operator*() { return *current_; }
        B* operator->() { return &*current_; }
        Iterator& operator++() {
            advance();
            return *this;
        }
        void operator++(int) { advance(); }
        bool operator==(const Iterator& o) const { return (loader_ == nullptr) == (o.loader_ == nullptr); }

    private:
        void advance() {
            current_ = loader_->next();
            if (!current_) loader_ = nullptr;
        }
        DataLoader* loader_ = nullptr;
        std::optional<B> current_;
    };

    // Continues the current epoch, or starts the next one when the current
    // one has been fully returned.
    Iterator begin() {
        if (batch_ > 0 && batch_ >= size()) {
            ++epoch_;
            batch_ = 0;
        }
        return Iterator(this);
    }
    Iterator end() { return Iterator(); }

    // "epoch", "batch", and the shuffling seed as "seed_lo"/"seed_hi" (32 bits
    // each, exact in a double).
    std::map<std::string, double> state_dict() const {
        return {{"epoch", static_cast<double>(epoch_)},
                {"batch", static_cast<double>(batch_)},
                {"seed_lo", static_cast<double>(options_.seed & 0xffffffffu)},
                {"seed_hi", static_cast<double>(options_.seed >> 32)}};
    }
    void load_state_dict(const std::map<std::string, double>& state) {
        auto get = [&](const char* key) {
            auto it = state.find(key);
            PESO_CHECK(it != state.end(), ValueError, "DataLoader.load_state_dict: the state has no '{}'", key);
            PESO_CHECK(it->second >= 0 && it->second == static_cast<double>(static_cast<std::int64_t>(it->second)),
                       ValueError, "DataLoader.load_state_dict: '{}' is {}, expected a non-negative integer", key,
                       it->second);
            return static_cast<std::int64_t>(it->second);
        };
        const std::int64_t epoch = get("epoch"), batch = get("batch");
        const std::uint64_t seed = static_cast<std::uint64_t>(get("seed_lo")) | (static_cast<std::uint64_t>(get("seed_hi")) << 32);
        PESO_CHECK(batch <= size(), ValueError, "DataLoader.load_state_dict: batch {} is past the {} batches of an epoch",
                   batch, size());
        epoch_ = epoch;
        batch_ = batch;
        options_.seed = seed;
        order_epoch_ = -1;
    }

private:
    std::shared_ptr<const Dataset<E>> dataset_;
    DataLoaderOptions options_;
    Collate collate_;
    std::int64_t epoch_ = 0;
    std::int64_t batch_ = 0;
    std::vector<std::int64_t> order_;
    std::int64_t order_epoch_ = -1;
};

}  // namespace peso::nn::data
