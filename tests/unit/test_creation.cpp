#include <doctest/doctest.h>

#include "peso.h"

using namespace peso;

TEST_CASE("creation ops") {
    CHECK(zeros({2, 3}).to_vector<float>() == std::vector<float>(6, 0.0f));
    CHECK(ones({2}, DType::i32).dtype() == DType::i32);
    CHECK(full({2}, 7).dtype() == DType::i64);     // integer fill -> int64, as PyTorch
    CHECK(full({2}, 7.5).dtype() == DType::f32);
    CHECK(full({2}, true).dtype() == DType::b8);
    CHECK(arange(5).to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 1, 2, 3, 4});
    CHECK(arange(1, 2, 0.25).to_vector<float>() == std::vector<float>{1.0f, 1.25f, 1.5f, 1.75f});
    CHECK(arange(5, 0, -2).to_vector<std::int64_t>() == std::vector<std::int64_t>{5, 3, 1});
    CHECK_THROWS_AS(arange(0, 5, -1), ValueError);
    CHECK_THROWS_AS(arange(0, 5, 0), ValueError);
    CHECK(linspace(0, 1, 5).to_vector<float>() == std::vector<float>{0.0f, 0.25f, 0.5f, 0.75f, 1.0f});
    CHECK(linspace(0, 1, 1).to_vector<float>() == std::vector<float>{0.0f});
    CHECK(eye(2, 3).to_vector<float>() == std::vector<float>{1, 0, 0, 0, 1, 0});
    const Tensor z = zeros_like(ones({2, 2}, DType::f64));
    CHECK(z.dtype() == DType::f64);
    CHECK(z.sizes() == Dims{2, 2});
    CHECK(full_like(z, 3).to_vector<double>() == std::vector<double>(4, 3.0));
    CHECK_THROWS_AS(zeros({2, -1}), ShapeError);
    CHECK_THROWS_AS(from_vector<float>({1, 2, 3}, Dims{2, 2}), ShapeError);
    CHECK(empty({0, 4}).numel() == 0);
}

TEST_CASE("dims: up to 8 dims, clear error beyond") {
    CHECK(zeros({1, 1, 1, 1, 1, 1, 1, 2}).numel() == 2);
    CHECK_THROWS_AS(zeros({1, 1, 1, 1, 1, 1, 1, 1, 1}), ShapeError);
    CHECK_THROWS_AS(zeros({1, 1, 1, 1, 1, 1, 1, 1}).unsqueeze(0), ShapeError);
}

TEST_CASE("the caching allocator reuses blocks") {
    auto& alloc = backend_for(Device::cpu()).allocator();
    { Tensor warm = empty({1000}); }
    const auto before = alloc.stats();
    for (int i = 0; i < 100; ++i) {
        Tensor t = empty({1000});
        Tensor u = add(t.fill_(1.0), 1.0);
    }
    const auto after = alloc.stats();
    CHECK(after.system_allocs - before.system_allocs <= 2);  // at most the first new size class
    CHECK(after.requests - before.requests >= 200);
    CHECK(after.live_blocks == before.live_blocks);
}

TEST_CASE("storage is 64-byte aligned") {
    for (std::int64_t n : {1, 3, 17, 1000, 300000}) {
        const Tensor t = empty({n});
        CHECK(reinterpret_cast<std::uintptr_t>(t.data_ptr()) % 64 == 0);
    }
}
