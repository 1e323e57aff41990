#include "nn/data/token_batches.h"

#include <cstring>
#include <fstream>

#include "nn/serialization/safetensors.h"
#include "tensor/native.h"

namespace peso::nn::data {

TokenBatches::TokenBatches(std::vector<std::int32_t> tokens, std::int64_t batch_size, std::int64_t block_size,
                           BatchOrder order, std::uint64_t seed)
    : tokens_(std::move(tokens)), batch_(batch_size), block_(block_size), order_(order), gen_(seed) {
    PESO_CHECK(batch_ > 0 && block_ > 0, ValueError, "TokenBatches: batch size {} and block size {} must be positive",
               batch_, block_);
    PESO_CHECK(static_cast<std::int64_t>(tokens_.size()) > block_, ValueError,
               "TokenBatches: {} tokens are too few for a block of {} (need at least {})", tokens_.size(), block_,
               block_ + 1);
}

std::pair<Tensor, Tensor> TokenBatches::gather(const std::vector<std::int64_t>& starts) const {
    const auto B = static_cast<std::int64_t>(starts.size());
    Tensor x = native::empty({B, block_}, TensorOptions(DType::i64));
    Tensor y = native::empty({B, block_}, TensorOptions(DType::i64));
    auto* px = static_cast<std::int64_t*>(x.data_ptr());
    auto* py = static_cast<std::int64_t*>(y.data_ptr());
    for (std::int64_t b = 0; b < B; ++b)
        for (std::int64_t t = 0; t < block_; ++t) {
            px[b * block_ + t] = tokens_[static_cast<std::size_t>(starts[static_cast<std::size_t>(b)] + t)];
            py[b * block_ + t] = tokens_[static_cast<std::size_t>(starts[static_cast<std::size_t>(b)] + t + 1)];
        }
    return {x, y};
}

std::pair<Tensor, Tensor> TokenBatches::next() {
    std::vector<std::int64_t> starts;
    const std::int64_t span = size() - block_;  // valid starts: [0, span)
    if (order_ == BatchOrder::random) {
        starts = native::randint(0, span, {batch_}, {}, &gen_).to_vector<std::int64_t>();
    } else {
        const std::int64_t windows = num_windows();
        for (std::int64_t b = 0; b < batch_; ++b) {
            starts.push_back((cursor_ % windows) * block_);
            ++cursor_;
        }
    }
    return gather(starts);
}

std::int64_t TokenBatches::num_windows() const { return (size() - 1) / block_; }

std::pair<Tensor, Tensor> TokenBatches::window_batch(std::int64_t first_window, std::int64_t count) const {
    PESO_CHECK(first_window >= 0 && count > 0 && first_window + count <= num_windows(), ValueError,
               "TokenBatches: windows [{}, {}) outside the {} available", first_window, first_window + count,
               num_windows());
    std::vector<std::int64_t> starts;
    for (std::int64_t w = first_window; w < first_window + count; ++w) starts.push_back(w * block_);
    return gather(starts);
}

std::uint64_t TokenBatches::position() const {
    return order_ == BatchOrder::random ? gen_.offset() : static_cast<std::uint64_t>(cursor_);
}

void TokenBatches::set_position(std::uint64_t p) {
    if (order_ == BatchOrder::random) gen_.set_state(gen_.seed(), p);
    else cursor_ = static_cast<std::int64_t>(p);
}

std::pair<std::vector<std::int32_t>, std::vector<std::int32_t>> split_tokens(const std::vector<std::int32_t>& ids,
                                                                             double train_fraction) {
    PESO_CHECK(train_fraction > 0.0 && train_fraction < 1.0, ValueError,
               "split_tokens: train fraction must be in (0, 1), got {}", train_fraction);
    const auto n = static_cast<std::size_t>(static_cast<double>(ids.size()) * train_fraction);
    return {std::vector<std::int32_t>(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(n)),
            std::vector<std::int32_t>(ids.begin() + static_cast<std::ptrdiff_t>(n), ids.end())};
}

namespace {
constexpr char kMagic[8] = {'P', 'E', 'S', 'O', 'T', 'O', 'K', '1'};
}

void save_token_cache(const std::string& path, const std::string& key, const std::vector<std::int32_t>& ids) {
    // magic, key length, key, count, ids (little-endian int32)
    std::vector<char> bytes(kMagic, kMagic + 8);
    auto put64 = [&](std::uint64_t v) {
        for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    };
    put64(key.size());
    bytes.insert(bytes.end(), key.begin(), key.end());
    put64(ids.size());
    const std::size_t at = bytes.size();
    bytes.resize(at + ids.size() * sizeof(std::int32_t));
    std::memcpy(bytes.data() + at, ids.data(), ids.size() * sizeof(std::int32_t));
    write_file_atomically(path, bytes.data(), bytes.size());
}

std::optional<std::vector<std::int32_t>> load_token_cache(const std::string& path, const std::string& key) {
    std::ifstream probe(path, std::ios::binary);
    if (!probe.good()) return std::nullopt;
    probe.close();
    const std::vector<char> b = read_file(path);
    std::size_t at = 0;
    auto get64 = [&](std::uint64_t& v) {
        if (at + 8 > b.size()) return false;
        v = 0;
        for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<std::size_t>(i)]);
        at += 8;
        return true;
    };
    if (b.size() < 8 || std::memcmp(b.data(), kMagic, 8) != 0) return std::nullopt;
    at = 8;
    std::uint64_t klen = 0, count = 0;
    if (!get64(klen) || klen > b.size() - at) return std::nullopt;
    const std::string stored(b.data() + at, klen);
    at += klen;
    if (stored != key || !get64(count) || count > (b.size() - at) / sizeof(std::int32_t) ||
        at + count * sizeof(std::int32_t) != b.size())
        return std::nullopt;  // stale or damaged: the caller re-tokenizes
    std::vector<std::int32_t> ids(count);
    std::memcpy(ids.data(), b.data() + at, count * sizeof(std::int32_t));
    return ids;
}

}  // namespace peso::nn::data
