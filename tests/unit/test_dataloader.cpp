#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <vector>

#include "nn/data/dataloader.h"
#include "peso.h"

using namespace peso;
using namespace peso::nn::data;

namespace {

// x row i is [i, 10 i], y[i] = i: a batch's y tells which examples it holds.
std::shared_ptr<TensorDataset> numbered(std::int64_t n) {
    Tensor y = arange(n);
    Tensor x = stack({y, mul(y, 10)}, 1);
    return std::make_shared<TensorDataset>(std::vector<Tensor>{x, y});
}

// The example indices of each batch of one epoch (a range-for).
template <typename L> std::vector<std::vector<std::int64_t>> epoch_batches(L& loader) {
    std::vector<std::vector<std::int64_t>> out;
    for (std::vector<Tensor>& batch : loader) out.push_back(batch[1].to_vector<std::int64_t>());
    return out;
}

std::vector<std::int64_t> flatten(const std::vector<std::vector<std::int64_t>>& batches) {
    std::vector<std::int64_t> out;
    for (const auto& b : batches) out.insert(out.end(), b.begin(), b.end());
    return out;
}

// Variable-length token sequences: sequence i is [1, 2, ..., i + 1].
class Sequences : public Dataset<Tensor> {
public:
    std::int64_t size() const override { return 5; }
    Tensor get(std::int64_t i) const override { return add(arange(i + 1), 1); }
};

}  // namespace

TEST_CASE("TensorDataset and in-order batches with default collation") {
    auto ds = numbered(10);
    CHECK(ds->size() == 10);
    const std::vector<Tensor> ex = ds->get(3);
    CHECK(ex[0].to_vector<std::int64_t>() == std::vector<std::int64_t>{3, 30});
    CHECK(ex[1].item<std::int64_t>() == 3);
    CHECK_THROWS_AS(ds->get(10), IndexError);

    DataLoader<> loader(ds, {.batch_size = 3});
    CHECK(loader.size() == 4);
    std::vector<std::vector<Tensor>> batches;
    for (auto& b : loader) batches.push_back(b);
    REQUIRE(batches.size() == 4);
    CHECK(batches[0][0].sizes() == Dims{3, 2});
    CHECK(batches[0][0].to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 0, 1, 10, 2, 20});
    CHECK(batches[0][1].to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 1, 2});
    CHECK(batches[3][1].to_vector<std::int64_t>() == std::vector<std::int64_t>{9});  // the short last batch
    CHECK(batches[3][0].sizes() == Dims{1, 2});
}

TEST_CASE("drop_last drops the short batch") {
    DataLoader<> loader(numbered(10), {.batch_size = 3, .drop_last = true});
    CHECK(loader.size() == 3);
    const auto batches = epoch_batches(loader);
    CHECK(batches.size() == 3);
    CHECK(flatten(batches) == std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8});
    DataLoader<> none(numbered(2), {.batch_size = 3, .drop_last = true});
    CHECK(none.size() == 0);
    CHECK(epoch_batches(none).empty());
}

TEST_CASE("shuffling: every index once per epoch, reproducible, new order each epoch") {
    const std::int64_t n = 50;
    DataLoader<> a(numbered(n), {.batch_size = 8, .shuffle = true, .seed = 42});
    DataLoader<> b(numbered(n), {.batch_size = 8, .shuffle = true, .seed = 42});
    DataLoader<> c(numbered(n), {.batch_size = 8, .shuffle = true, .seed = 43});
    std::vector<std::vector<std::int64_t>> orders;
    for (int epoch = 0; epoch < 3; ++epoch) {
        CHECK(a.epoch() == epoch);
        const std::vector<std::int64_t> oa = flatten(epoch_batches(a));
        const std::vector<std::int64_t> ob = flatten(epoch_batches(b));
        const std::vector<std::int64_t> oc = flatten(epoch_batches(c));
        CHECK(oa == ob);  // same seed, same order
        CHECK(oa != oc);  // another seed, another order
        std::vector<std::int64_t> sorted = oa;
        std::sort(sorted.begin(), sorted.end());
        std::vector<std::int64_t> all(static_cast<std::size_t>(n));
        for (std::int64_t i = 0; i < n; ++i) all[static_cast<std::size_t>(i)] = i;
        CHECK(sorted == all);  // each index exactly once
        CHECK(oa != all);
        orders.push_back(oa);
    }
    CHECK(orders[0] != orders[1]);
    CHECK(orders[1] != orders[2]);
    CHECK(epoch_order(n, true, 42, 1) == orders[1]);  // a pure function of (seed, epoch)
    // shuffle + drop_last: batches are full, and the dropped examples change with the epoch.
    DataLoader<> d(numbered(10), {.batch_size = 4, .shuffle = true, .drop_last = true, .seed = 1});
    const auto e0 = epoch_batches(d), e1 = epoch_batches(d);
    CHECK(e0.size() == 2);
    for (const auto& batch : e0) CHECK(batch.size() == 4);
    CHECK(e0 != e1);
}

TEST_CASE("next(): batches, then one nullopt per epoch; state save and resume") {
    DataLoader<> loader(numbered(7), {.batch_size = 2, .shuffle = true, .seed = 5});
    std::vector<std::vector<std::int64_t>> first;
    while (auto b = loader.next()) first.push_back((*b)[1].to_vector<std::int64_t>());
    CHECK(first.size() == 4);
    CHECK(loader.epoch() == 1);
    CHECK(loader.batch_index() == 0);

    // Stop in the middle of epoch 1, save, resume in a fresh loader.
    auto b0 = loader.next();
    REQUIRE(b0.has_value());
    const auto state = loader.state_dict();
    CHECK(state.at("epoch") == 1.0);
    CHECK(state.at("batch") == 1.0);
    DataLoader<> resumed(numbered(7), {.batch_size = 2, .shuffle = true, .seed = 999});
    resumed.load_state_dict(state);
    CHECK(resumed.options().seed == 5);
    const auto rest = epoch_batches(loader);
    const auto rest2 = epoch_batches(resumed);
    CHECK(rest.size() == 3);
    CHECK(rest == rest2);
    CHECK(flatten(epoch_batches(loader)) == flatten(epoch_batches(resumed)));  // epoch 2 too
    auto bad = state;
    bad["batch"] = 9;
    CHECK_THROWS_AS(resumed.load_state_dict(bad), ValueError);
    bad.erase("batch");
    CHECK_THROWS_AS(resumed.load_state_dict(bad), ValueError);
}

TEST_CASE("pad_sequences: padded tokens, padding mask, lengths") {
    const std::vector<Tensor> seqs = {from_vector(std::vector<std::int64_t>{1, 2, 3}),
                                      from_vector(std::vector<std::int64_t>{4}),
                                      from_vector(std::vector<std::int32_t>{5, 6})};
    PaddedBatch p = pad_sequences(seqs, {.pad_value = -1});
    CHECK(p.tokens.dtype() == DType::i64);
    CHECK(p.tokens.sizes() == Dims{3, 3});
    CHECK(p.tokens.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 2, 3, 4, -1, -1, 5, 6, -1});
    CHECK(p.padding_mask.dtype() == DType::b8);
    CHECK(p.padding_mask.to_vector<bool>() ==
          std::vector<bool>{false, false, false, false, true, true, false, false, true});
    CHECK(p.lengths.to_vector<std::int64_t>() == std::vector<std::int64_t>{3, 1, 2});

    SUBCASE("fixed length") {
        PaddedBatch f = pad_sequences(seqs, {.length = 4});
        CHECK(f.tokens.sizes() == Dims{3, 4});
        CHECK(f.tokens.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 2, 3, 0, 4, 0, 0, 0, 5, 6, 0, 0});
        CHECK_THROWS_AS(pad_sequences(seqs, {.length = 2}), ValueError);
        PaddedBatch t = pad_sequences(seqs, {.length = 2, .truncate = true});
        CHECK(t.tokens.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 2, 4, 0, 5, 6});
        CHECK(t.lengths.to_vector<std::int64_t>() == std::vector<std::int64_t>{2, 1, 2});
    }
    SUBCASE("left padding") {
        PaddedBatch l = pad_sequences(std::vector<std::vector<std::int64_t>>{{1, 2, 3}, {4}}, {.pad_left = true});
        CHECK(l.tokens.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 2, 3, 0, 0, 4});
        CHECK(l.padding_mask.to_vector<bool>() == std::vector<bool>{false, false, false, true, true, false});
    }
    SUBCASE("errors and empty input") {
        CHECK_THROWS_AS(pad_sequences({zeros({2, 2}, DType::i64)}), ShapeError);
        CHECK_THROWS_AS(pad_sequences({zeros({2})}), DTypeError);
        PaddedBatch e = pad_sequences(std::vector<Tensor>{});
        CHECK(e.tokens.sizes() == Dims{0, 0});
    }
}

TEST_CASE("a DataLoader of variable-length sequences with a padding collate") {
    auto ds = std::make_shared<Sequences>();
    DataLoader<Tensor, PaddedBatch> loader(ds, {.batch_size = 2},
                                           [](const std::vector<Tensor>& xs) { return pad_sequences(xs); });
    std::vector<PaddedBatch> batches;
    for (PaddedBatch& b : loader) batches.push_back(b);
    REQUIRE(batches.size() == 3);
    CHECK(batches[1].tokens.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 2, 3, 0, 1, 2, 3, 4});
    CHECK(batches[1].lengths.to_vector<std::int64_t>() == std::vector<std::int64_t>{3, 4});
    CHECK(batches[2].tokens.sizes() == Dims{1, 5});

    // The default collation refuses unequal shapes, naming the example.
    DataLoader<Tensor> stacked(ds, {.batch_size = 2});
    CHECK_THROWS_AS(stacked.next(), ShapeError);
}

TEST_CASE("DataLoader and TensorDataset argument errors") {
    CHECK_THROWS_AS(DataLoader<>(numbered(4), {.batch_size = 0}), ValueError);
    CHECK_THROWS_AS(DataLoader<>(nullptr), ValueError);
    CHECK_THROWS_AS(TensorDataset({zeros({3}), zeros({4})}), ShapeError);
    CHECK_THROWS_AS(TensorDataset({}), ValueError);
    CHECK_THROWS_AS(default_collate(std::vector<Tensor>{}), ValueError);
}
