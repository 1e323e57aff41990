// Checked sizes (issue 13): a shape, stride or byte count that overflows 64
// bits throws ValueError naming the op and the numbers, before anything is
// allocated; an empty tensor gets no block at all.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>

#include "backends/host_allocator.h"
#include "core/checked_size.h"
#include "models/gpt/config.h"
#include "peso.h"

using namespace peso;

namespace {
constexpr std::int64_t kBig = std::int64_t{1} << 61;  // 2^61: times 8 bytes wraps to 0
}

TEST_CASE("checked_mul, checked_add and checked_product throw on overflow and name what overflowed") {
    CHECK(checked_mul(3, 5, "x") == 15);
    CHECK(checked_mul(0, std::numeric_limits<std::int64_t>::max(), "x") == 0);
    CHECK(checked_add(7, 8, "x") == 15);
    CHECK(checked_product({2, 3, 4}, "x") == 24);
    CHECK(checked_nbytes(10, 4, "x") == 40);
    CHECK_THROWS_WITH_AS(checked_mul(kBig, 8, "--batch"), "--batch: size 2305843009213693952 x 8 overflows a 64-bit count",
                         ValueError);
    CHECK_THROWS_AS(checked_add(std::numeric_limits<std::int64_t>::max(), 1, "x"), ValueError);
    CHECK_THROWS_AS(checked_mul(-1, 2, "x"), ValueError);  // counts are never negative
    CHECK_THROWS_WITH_AS(checked_product({kBig, 2, 3}, "tokens"), doctest::Contains("tokens: size"), ValueError);
    CHECK_THROWS_AS(checked_nbytes(kBig, 8, "empty"), ValueError);
    CHECK(checked_mul_u64(1ull << 32, 1ull << 31, "x") == 1ull << 63);
    CHECK_THROWS_AS(checked_mul_u64(1ull << 32, 1ull << 32, "x"), ValueError);
}

TEST_CASE("a shape whose element or byte count overflows is refused before allocating") {
    // 2^61 f64 elements are 2^64 bytes: the product once wrapped to a 0-byte
    // request, served by a 64-byte block that the fill then overran.
    CHECK_THROWS_WITH_AS(empty({kBig}, DType::f64), doctest::Contains("2305843009213693952 x 8"), ValueError);
    CHECK_THROWS_AS(zeros({kBig}, DType::i64), ValueError);
    CHECK_THROWS_AS(ones({std::int64_t{1} << 32, std::int64_t{1} << 32}), ValueError);  // 2^64 elements
    CHECK_THROWS_AS(full({std::int64_t{1} << 40, std::int64_t{1} << 40, 2}, 1.0), ValueError);
    CHECK_THROWS_AS(empty({-3}), ShapeError);
    CHECK_THROWS_WITH_AS(Dims({kBig, 16}).product(), doctest::Contains("overflows"), ValueError);
    CHECK_THROWS_AS(arange(0.0, 1e300, 1.0), ValueError);
    CHECK_THROWS_AS(linspace(0.0, 1.0, kBig), ValueError);
}

TEST_CASE("views, reshapes and expands whose sizes overflow are refused") {
    const Tensor t = zeros({0});
    CHECK_THROWS_AS(t.view({kBig, kBig, 0, -1}), ValueError);  // -1 inferred from a product that overflows
    const Tensor s = ones({1});
    CHECK_THROWS_AS(s.expand({kBig, kBig}), ValueError);
    CHECK(s.expand({kBig}).numel() == kBig);  // a large but countable broadcast is fine (no memory)
    // as_strided's reach computed in 64 bits must not wrap back into the storage.
    const Tensor base = zeros({16});
    CHECK_THROWS_AS(base.as_strided({3}, {std::int64_t{1} << 62}), ValueError);
    CHECK_THROWS_AS(base.as_strided({kBig, 5}, {8, 1}), Error);
    // Huge steps and lengths must not wrap into small valid-looking ones.
    const Tensor m = arange(16).view({4, 4});
    const Tensor every = m.slice(0, 1, std::nullopt, std::numeric_limits<std::int64_t>::max());
    CHECK(every.sizes() == Dims{1, 4});
    CHECK(equal(every, arange(4, 8).view({1, 4})));
    CHECK_THROWS_AS(m.narrow(0, 2, std::numeric_limits<std::int64_t>::max()), IndexError);
}

TEST_CASE("a 0-byte request gets no block; an absurd one is refused before rounding") {
    HostAllocator a;
    CHECK(a.allocate(0) == nullptr);
    CHECK(a.stats().live_blocks == 0);
    CHECK(a.stats().system_allocs == 0);
    a.deallocate(nullptr, 0);
    CHECK_THROWS_AS(a.allocate(std::numeric_limits<std::size_t>::max() - 10), ValueError);
    CHECK(a.stats().live_blocks == 0);
    const Tensor e = empty({0, 5});
    CHECK(e.numel() == 0);
    CHECK(e.data_ptr() == nullptr);
}

TEST_CASE("a GPT config whose parameter count overflows is refused before a model is built") {
    models::GptConfig c;
    c.n_layer = 2;
    c.n_head = 1;
    c.n_embd = std::int64_t{1} << 31;
    c.block_size = 8;
    c.vocab_size = 10;
    CHECK_THROWS_WITH_AS(c.validate(), doctest::Contains("parameter count"), ValueError);
    c.n_embd = 16;
    c.n_layer = std::int64_t{1} << 60;
    CHECK_THROWS_AS(c.validate(), ValueError);
    c.n_layer = 2;
    CHECK_NOTHROW(c.validate());
    CHECK_THROWS_AS(models::GptConfig::from_json(
                        R"({"n_layer": 2, "n_head": 1, "n_embd": 16, "block_size": 8, "vocab_size": 4611686018427387904})"),
                    ValueError);
    // Found by fuzz_gpt_config: a number beyond 64 bits parses as a double, whose conversion was undefined.
    CHECK_THROWS_WITH_AS(models::GptConfig::from_json(
                             R"({"n_layer": 2, "n_head": 1, "n_embd": 16, "block_size": 899999999999999999999999999999999999999999999999999999999999, "vocab_size": 11})"),
                         doctest::Contains("block_size must be an integer that fits in 64 bits, got 9e+59"), ValueError);
    CHECK_THROWS_WITH_AS(models::GptConfig::from_json(
                             R"({"n_layer": 2.5, "n_head": 1, "n_embd": 16, "block_size": 8, "vocab_size": 11})"),
                         doctest::Contains("n_layer must be an integer"), ValueError);
    CHECK_THROWS_AS(models::GptConfig::from_json(
                        R"({"n_layer": 18446744073709551615, "n_head": 1, "n_embd": 16, "block_size": 8, "vocab_size": 11})"),
                    ValueError);
    CHECK(models::GptConfig::from_json(R"({"n_layer": 2, "n_head": 1, "n_embd": 16, "block_size": 8, "vocab_size": 11})")
              .block_size == 8);
}
