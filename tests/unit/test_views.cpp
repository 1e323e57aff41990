#include <doctest/doctest.h>

#include "peso.h"

using namespace peso;

TEST_CASE("arange, view and transpose share storage") {
    Tensor a = arange(6).to(DType::f32).view({2, 3});
    CHECK(a.sizes() == Dims{2, 3});
    CHECK(a.to_vector<float>() == std::vector<float>{0, 1, 2, 3, 4, 5});
    Tensor t = a.t();
    CHECK(t.sizes() == Dims{3, 2});
    CHECK(t.strides() == Dims{1, 3});
    CHECK_FALSE(t.is_contiguous());
    CHECK(t.shares_storage(a));
    CHECK(t.to_vector<float>() == std::vector<float>{0, 3, 1, 4, 2, 5});
    CHECK_THROWS_AS(t.view({6}), ShapeError);
    CHECK(t.reshape({6}).to_vector<float>() == std::vector<float>{0, 3, 1, 4, 2, 5});
}

TEST_CASE("broadcasting add with type promotion") {
    Tensor a = arange(3).view({3, 1});            // int64
    Tensor b = tensor({0.5f, 1.5f});              // float32
    Tensor c = a + b;
    CHECK(c.dtype() == DType::f32);
    CHECK(c.sizes() == Dims{3, 2});
    CHECK(c.to_vector<float>() == std::vector<float>{0.5f, 1.5f, 1.5f, 2.5f, 2.5f, 3.5f});
    CHECK_THROWS_AS(add(ones({2, 3}), ones({4})), ShapeError);
}

TEST_CASE("slice assignment through copy_ into a narrowed view") {
    Tensor x = zeros({3, 4});
    Tensor row = x.narrow(0, 1, 1);
    row.copy_(full({1, 4}, 7.0));
    Tensor col = x.slice(1, 0, 4, 2);
    col.add_(1.0);
    CHECK(x.to_vector<float>() == std::vector<float>{1, 0, 1, 0, 8, 7, 8, 7, 1, 0, 1, 0});
}
