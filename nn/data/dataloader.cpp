#include "nn/data/dataloader.h"

#include <algorithm>
#include <numeric>

#include "peso.h"

namespace peso::nn::data {

// ---- order ---------------------------------------------------------------------

namespace {
// SplitMix64's finalizer: nearby (seed, epoch) pairs give unrelated seeds.
std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}
}  // namespace

std::vector<std::int64_t> epoch_order(std::int64_t n, bool shuffle, std::uint64_t seed, std::int64_t epoch) {
    PESO_CHECK(n >= 0, ValueError, "epoch_order: negative dataset size {}", n);
    if (!shuffle) {
        std::vector<std::int64_t> order(static_cast<std::size_t>(n));
        std::iota(order.begin(), order.end(), std::int64_t{0});
        return order;
    }
    Generator gen(mix(seed ^ mix(static_cast<std::uint64_t>(epoch))));
    return native::randperm(n, TensorOptions(DType::i64), &gen).to_vector<std::int64_t>();
}

// ---- collation -----------------------------------------------------------------

Tensor default_collate(const std::vector<Tensor>& examples) {
    PESO_CHECK(!examples.empty(), ValueError, "default_collate: no examples");
    for (std::size_t i = 1; i < examples.size(); ++i)
        PESO_CHECK(examples[i].sizes() == examples[0].sizes(), ShapeError,
                   "default_collate: example {} has shape {} but example 0 has shape {}; pad variable-length "
                   "sequences (pad_sequences) or pass a collate function",
                   i, examples[i].sizes(), examples[0].sizes());
    return stack(examples, 0);
}

std::vector<Tensor> default_collate(const std::vector<std::vector<Tensor>>& examples) {
    PESO_CHECK(!examples.empty(), ValueError, "default_collate: no examples");
    const std::size_t fields = examples[0].size();
    std::vector<Tensor> out;
    for (std::size_t f = 0; f < fields; ++f) {
        std::vector<Tensor> column;
        for (std::size_t i = 0; i < examples.size(); ++i) {
            PESO_CHECK(examples[i].size() == fields, ValueError,
                       "default_collate: example {} has {} tensors but example 0 has {}", i, examples[i].size(), fields);
            PESO_CHECK(examples[i][f].sizes() == examples[0][f].sizes(), ShapeError,
                       "default_collate: field {} of example {} has shape {} but example 0's has shape {}; pad "
                       "variable-length sequences (pad_sequences) or pass a collate function",
                       f, i, examples[i][f].sizes(), examples[0][f].sizes());
            column.push_back(examples[i][f]);
        }
        out.push_back(stack(column, 0));
    }
    return out;
}

// ---- padding -------------------------------------------------------------------

PaddedBatch pad_sequences(const std::vector<std::vector<std::int64_t>>& sequences, const PadOptions& o) {
    std::int64_t longest = 0;
    for (const auto& s : sequences) longest = std::max<std::int64_t>(longest, static_cast<std::int64_t>(s.size()));
    const std::int64_t T = o.length.value_or(longest);
    PESO_CHECK(T >= 0, ValueError, "pad_sequences: length must be non-negative, got {}", T);
    const std::int64_t B = static_cast<std::int64_t>(sequences.size());
    std::vector<std::int64_t> tokens(static_cast<std::size_t>(B * T), o.pad_value);
    std::vector<bool> pad(static_cast<std::size_t>(B * T), true);
    std::vector<std::int64_t> lengths(static_cast<std::size_t>(B));
    for (std::int64_t b = 0; b < B; ++b) {
        const auto& s = sequences[static_cast<std::size_t>(b)];
        const std::int64_t n = static_cast<std::int64_t>(s.size());
        PESO_CHECK(n <= T || o.truncate, ValueError,
                   "pad_sequences: sequence {} has {} tokens, more than the length {} (set truncate to cut it)", b, n,
                   T);
        const std::int64_t kept = std::min(n, T);
        const std::int64_t start = o.pad_left ? T - kept : 0;
        for (std::int64_t t = 0; t < kept; ++t) {
            tokens[static_cast<std::size_t>(b * T + start + t)] = s[static_cast<std::size_t>(t)];
            pad[static_cast<std::size_t>(b * T + start + t)] = false;
        }
        lengths[static_cast<std::size_t>(b)] = kept;
    }
    PaddedBatch out;
    out.tokens = from_vector(tokens, Dims{B, T});
    out.padding_mask = from_vector(pad, Dims{B, T});
    out.lengths = from_vector(lengths, Dims{B});
    return out;
}

PaddedBatch pad_sequences(const std::vector<Tensor>& sequences, const PadOptions& o) {
    std::vector<std::vector<std::int64_t>> ids;
    for (std::size_t i = 0; i < sequences.size(); ++i) {
        const Tensor& s = sequences[i];
        PESO_CHECK(s.defined() && s.dim() == 1, ShapeError, "pad_sequences: sequence {} must be 1-D, got shape {}", i,
                   s.defined() ? s.sizes() : Dims{});
        PESO_CHECK(s.dtype() == DType::i64 || s.dtype() == DType::i32, DTypeError,
                   "pad_sequences: sequence {} has dtype {}, expected int64 or int32 token ids", i, s.dtype());
        ids.push_back(native::to_device(native::to_dtype(s, DType::i64), Device::cpu()).to_vector<std::int64_t>());
    }
    return pad_sequences(ids, o);
}

}  // namespace peso::nn::data
