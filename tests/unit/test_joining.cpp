#include <doctest/doctest.h>

#include "peso.h"

using namespace peso;

namespace {
const char* kBackends[] = {"cpu", "reference"};
std::vector<double> vals(const Tensor& t) { return t.to_vector<double>(); }
std::vector<std::int64_t> ivals(const Tensor& t) { return t.to_vector<std::int64_t>(); }
Tensor f32(std::vector<float> v, std::optional<Dims> shape = {}) { return from_vector(v, shape); }
}  // namespace

// ---- cat / stack ------------------------------------------------------------------------

TEST_CASE("cat along each dim, with promotion and non-contiguous inputs") {
    for (const char* be : kBackends) {
        CpuBackendGuard g(be);
        CAPTURE(be);
        const Tensor a = f32({1, 2, 3, 4}, Dims{2, 2});
        const Tensor b = f32({5, 6}, Dims{1, 2});
        const Tensor c0 = cat({a, b});
        CHECK(c0.sizes() == Dims{3, 2});
        CHECK(vals(c0) == std::vector<double>{1, 2, 3, 4, 5, 6});
        const Tensor c1 = cat({a, b.t()}, -1);
        CHECK(c1.sizes() == Dims{2, 3});
        CHECK(vals(c1) == std::vector<double>{1, 2, 5, 3, 4, 6});
        // a.t() is non-contiguous: [[1, 3], [2, 4]].
        CHECK(vals(cat({a.t(), a}, 1)) == std::vector<double>{1, 3, 1, 2, 2, 4, 3, 4});
        // int64 with float32 gives float32; int32 with int64 gives int64; bool stays bool.
        const Tensor mixed = cat({arange(2), f32({0.5f})});
        CHECK(mixed.dtype() == DType::f32);
        CHECK(vals(mixed) == std::vector<double>{0, 1, 0.5});
        CHECK(cat({from_vector<std::int32_t>({1}), arange(1)}).dtype() == DType::i64);
        CHECK(cat({from_vector<bool>({true}), from_vector<bool>({false})}).to_vector<bool>() ==
              std::vector<bool>{true, false});
        // Inputs empty along dim, and PyTorch's legacy (0,) tensors, are skipped.
        CHECK(vals(cat({zeros({0, 2}), a, zeros({0})})) == std::vector<double>{1, 2, 3, 4});
        CHECK(cat({zeros({0}), zeros({0})}).sizes() == Dims{0});
        CHECK(cat({zeros({2, 0}), zeros({2, 0})}, 1).sizes() == Dims{2, 0});
        CHECK(cat({a}).shares_storage(a) == false);  // cat always returns a new tensor
    }
}

TEST_CASE("cat errors") {
    CHECK_THROWS_AS(cat({}), ValueError);
    CHECK_THROWS_AS(cat({zeros({2, 2}), zeros({2, 3})}, 0), ShapeError);
    CHECK_THROWS_AS(cat({zeros({2, 2}), zeros({2})}, 0), ShapeError);
    CHECK_THROWS_AS(cat({zeros({2}), scalar_tensor(1.0)}), ShapeError);
    CHECK_THROWS_AS(cat({zeros({2, 2}), zeros({2, 2})}, 2), IndexError);
    CHECK_THROWS_AS(cat({Tensor(), zeros({2})}), ValueError);
    try {
        cat({zeros({2, 2}), zeros({2, 3})}, 0);
    } catch (const ShapeError& e) {
        const std::string msg = e.what();
        CHECK(msg.find("cat") != std::string::npos);
        CHECK(msg.find("[2, 3]") != std::string::npos);
    }
}

TEST_CASE("stack inserts a new dim") {
    for (const char* be : kBackends) {
        CpuBackendGuard g(be);
        CAPTURE(be);
        const Tensor a = f32({1, 2, 3});
        const Tensor b = f32({4, 5, 6});
        const Tensor s0 = stack({a, b});
        CHECK(s0.sizes() == Dims{2, 3});
        CHECK(vals(s0) == std::vector<double>{1, 2, 3, 4, 5, 6});
        const Tensor s1 = stack({a, b}, -1);
        CHECK(s1.sizes() == Dims{3, 2});
        CHECK(vals(s1) == std::vector<double>{1, 4, 2, 5, 3, 6});
        const Tensor scalars = stack({scalar_tensor(1.0), scalar_tensor(2.0), scalar_tensor(3.0)});
        CHECK(scalars.sizes() == Dims{3});
        CHECK(vals(scalars) == std::vector<double>{1, 2, 3});
        const Tensor m = f32({1, 2, 3, 4}, Dims{2, 2});
        CHECK(vals(stack({m, m.t()}, 1)) == std::vector<double>{1, 2, 1, 3, 3, 4, 2, 4});
        CHECK(stack({zeros({0})}).sizes() == Dims{1, 0});
    }
    CHECK_THROWS_AS(stack({}), ValueError);
    CHECK_THROWS_AS(stack({zeros({2}), zeros({3})}), ShapeError);
    CHECK_THROWS_AS(stack({zeros({2}), zeros({2})}, 2), IndexError);
}

// ---- split / chunk ---------------------------------------------------------------------

TEST_CASE("split by size and by sizes returns views") {
    const Tensor x = arange(10).view({5, 2});
    const auto parts = split(x, 2);
    REQUIRE(parts.size() == 3);
    CHECK(parts[0].sizes() == Dims{2, 2});
    CHECK(parts[2].sizes() == Dims{1, 2});
    CHECK(ivals(parts[1]) == std::vector<std::int64_t>{4, 5, 6, 7});
    CHECK(ivals(parts[2]) == std::vector<std::int64_t>{8, 9});
    for (const Tensor& p : parts) CHECK(p.shares_storage(x));
    const auto cols = split(x, 1, -1);
    REQUIRE(cols.size() == 2);
    CHECK(ivals(cols[1]) == std::vector<std::int64_t>{1, 3, 5, 7, 9});
    CHECK(split(x, 7).size() == 1);
    const auto sized = split(x, std::vector<std::int64_t>{1, 0, 4});
    REQUIRE(sized.size() == 3);
    CHECK(sized[1].sizes() == Dims{0, 2});
    CHECK(ivals(sized[2]) == std::vector<std::int64_t>{2, 3, 4, 5, 6, 7, 8, 9});
    // Writing through a piece writes x.
    Tensor first = sized[0];
    first.fill_(-1);
    CHECK(ivals(x.select(0, 0)) == std::vector<std::int64_t>{-1, -1});
    CHECK(split(zeros({0, 3}), 2).size() == 1);
    CHECK(split(zeros({0, 3}), 0).size() == 1);

    CHECK_THROWS_AS(split(x, 0), ValueError);
    CHECK_THROWS_AS(split(x, -1), ValueError);
    CHECK_THROWS_AS(split(x, std::vector<std::int64_t>{2, 2}), ShapeError);
    CHECK_THROWS_AS(split(x, std::vector<std::int64_t>{6, -1}), ValueError);
    CHECK_THROWS_AS(split(x, 1, 2), IndexError);
    CHECK_THROWS_AS(split(scalar_tensor(1.0), 1), ShapeError);
}

TEST_CASE("chunk uses PyTorch's ceil(size / chunks) sizing") {
    auto sizes_of = [](const std::vector<Tensor>& v) {
        std::vector<std::int64_t> s;
        for (const Tensor& t : v) s.push_back(t.size(0));
        return s;
    };
    CHECK(sizes_of(chunk(arange(5), 3)) == std::vector<std::int64_t>{2, 2, 1});
    CHECK(sizes_of(chunk(arange(6), 4)) == std::vector<std::int64_t>{2, 2, 2});  // fewer chunks than asked
    CHECK(sizes_of(chunk(arange(6), 3)) == std::vector<std::int64_t>{2, 2, 2});
    CHECK(sizes_of(chunk(arange(2), 5)) == std::vector<std::int64_t>{1, 1});
    CHECK(sizes_of(chunk(arange(0), 3)) == std::vector<std::int64_t>{0, 0, 0});
    const Tensor m = arange(12).view({2, 6});
    const auto parts = chunk(m.t(), 2, 1);  // non-contiguous input, split along dim 1
    REQUIRE(parts.size() == 2);
    CHECK(ivals(parts[1]) == std::vector<std::int64_t>{6, 7, 8, 9, 10, 11});
    CHECK(parts[0].shares_storage(m));
    CHECK_THROWS_AS(chunk(arange(4), 0), ValueError);
}

// ---- tril / triu -----------------------------------------------------------------------

TEST_CASE("tril and triu on the last two dims") {
    for (const char* be : kBackends) {
        CpuBackendGuard g(be);
        CAPTURE(be);
        const Tensor x = arange(1, 13).view({3, 4});
        CHECK(ivals(tril(x)) == std::vector<std::int64_t>{1, 0, 0, 0, 5, 6, 0, 0, 9, 10, 11, 0});
        CHECK(ivals(tril(x, -1)) == std::vector<std::int64_t>{0, 0, 0, 0, 5, 0, 0, 0, 9, 10, 0, 0});
        CHECK(ivals(tril(x, 1)) == std::vector<std::int64_t>{1, 2, 0, 0, 5, 6, 7, 0, 9, 10, 11, 12});
        CHECK(ivals(triu(x)) == std::vector<std::int64_t>{1, 2, 3, 4, 0, 6, 7, 8, 0, 0, 11, 12});
        CHECK(ivals(triu(x, 2)) == std::vector<std::int64_t>{0, 0, 3, 4, 0, 0, 0, 8, 0, 0, 0, 0});
        CHECK(ivals(triu(x, -1)) == std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 0, 10, 11, 12});
        CHECK(tril(x).dtype() == DType::i64);
        // Batched and non-contiguous: the transpose of each (2, 2) block.
        const Tensor b = arange(1, 9).to(DType::f32).view({2, 2, 2}).transpose(1, 2);
        CHECK(vals(tril(b)) == std::vector<double>{1, 0, 2, 4, 5, 0, 6, 8});
        CHECK(vals(triu(b)) == std::vector<double>{1, 3, 0, 4, 5, 7, 0, 8});
        const Tensor mask = tril(ones({2, 2}, DType::b8));
        CHECK(mask.dtype() == DType::b8);
        CHECK(mask.to_vector<bool>() == std::vector<bool>{true, false, true, true});
        CHECK(tril(zeros({0, 3})).sizes() == Dims{0, 3});
    }
    CHECK_THROWS_AS(tril(arange(3)), ShapeError);
    CHECK_THROWS_AS(triu(scalar_tensor(1.0)), ShapeError);
}
