// sort, argsort, topk and cumsum on both CPU backends.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "peso.h"

using namespace peso;

namespace {

const char* const kBackends[] = {"cpu", "reference"};
constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

using I64 = std::vector<std::int64_t>;

void check_values(const Tensor& t, const std::vector<double>& expected) {
    const std::vector<double> got = t.to_vector<double>();
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        CAPTURE(i);
        if (std::isnan(expected[i])) CHECK(std::isnan(got[i]));
        else CHECK(got[i] == expected[i]);
    }
}

}  // namespace

TEST_CASE("sort is stable, ascending or descending, NaN largest") {
    for (const char* backend : kBackends) {
        CAPTURE(backend);
        CpuBackendGuard guard(backend);
        auto [v, i] = sort(tensor({3, 1, 2}));
        check_values(v, {1, 2, 3});
        CHECK(i.dtype() == DType::i64);
        CHECK(i.to_vector<std::int64_t>() == I64{1, 2, 0});
        auto [vd, id] = sort(tensor({3, 1, 2}), 0, true);
        check_values(vd, {3, 2, 1});
        CHECK(id.to_vector<std::int64_t>() == I64{0, 2, 1});

        auto [vs, is] = sort(tensor({2, 1, 2, 1}));
        check_values(vs, {1, 1, 2, 2});
        CHECK(is.to_vector<std::int64_t>() == I64{1, 3, 0, 2});
        CHECK(argsort(tensor({2, 1, 2, 1}), 0, true).to_vector<std::int64_t>() == I64{0, 2, 1, 3});

        const Tensor n = tensor({kNan, 1, -kInf, kNan, 0});
        auto [vn, in] = sort(n);
        check_values(vn, {-kInf, 0, 1, kNan, kNan});
        CHECK(in.to_vector<std::int64_t>() == I64{2, 4, 1, 0, 3});
        auto [vnd, ind] = sort(n, -1, true);
        check_values(vnd, {kNan, kNan, 1, 0, -kInf});
        CHECK(ind.to_vector<std::int64_t>() == I64{0, 3, 1, 4, 2});
        // -0 and +0 are equal: their order is kept.
        CHECK(argsort(tensor({0.0f, -0.0f, -1.0f})).to_vector<std::int64_t>() == I64{2, 0, 1});
        CHECK(argsort(tensor({-0.0f, 0.0f, -1.0f})).to_vector<std::int64_t>() == I64{2, 0, 1});
    }
}

TEST_CASE("sort along any dim, integer and bool dtypes, edge shapes") {
    for (const char* backend : kBackends) {
        CAPTURE(backend);
        CpuBackendGuard guard(backend);
        const Tensor x = tensor({5, 1, 4, 2, 6, 0}).view({2, 3});
        auto [v0, i0] = sort(x, 0);
        CHECK(v0.sizes() == Dims{2, 3});
        CHECK(v0.is_contiguous());
        check_values(v0, {2, 1, 0, 5, 6, 4});
        CHECK(i0.to_vector<std::int64_t>() == I64{1, 0, 1, 0, 1, 0});
        auto [v1, i1] = sort(x.t(), 1, true);  // rows of x.t() are x's columns
        check_values(v1, {5, 2, 6, 1, 4, 0});
        CHECK(i1.to_vector<std::int64_t>() == I64{0, 1, 1, 0, 0, 1});
        auto [vi, ii] = sort(tensor({3, -1, 2}).to(DType::i32));
        CHECK(vi.dtype() == DType::i32);
        CHECK(vi.to_vector<std::int32_t>() == std::vector<std::int32_t>{-1, 2, 3});
        CHECK(argsort(arange(5) * -1).to_vector<std::int64_t>() == I64{4, 3, 2, 1, 0});
        const Tensor big = full({3}, std::int64_t{1} << 62, TensorOptions(DType::i64));
        big.narrow(0, 1, 1).fill_(-(std::int64_t{1} << 62));
        CHECK(argsort(big).to_vector<std::int64_t>() == I64{1, 0, 2});
        CHECK(argsort(tensor({1, 0, 1, 0}).to(DType::b8)).to_vector<std::int64_t>() == I64{1, 3, 0, 2});
        CHECK(std::get<0>(sort(zeros({0}))).sizes() == Dims{0});
        CHECK(std::get<0>(sort(zeros({3, 0}), 1)).sizes() == Dims{3, 0});
        CHECK(std::get<1>(sort(zeros({3, 0}), 0)).sizes() == Dims{3, 0});
        CHECK(std::get<1>(sort(ones({4, 1}), 1)).to_vector<std::int64_t>() == I64{0, 0, 0, 0});
        auto [vs, is] = sort(scalar_tensor(2.0));
        CHECK(vs.item<float>() == 2.0f);
        CHECK(is.item<std::int64_t>() == 0);
    }
    CHECK_THROWS_AS(sort(ones({2, 2}), 2), IndexError);
    CHECK_THROWS_AS(argsort(Tensor()), ValueError);
}

TEST_CASE("topk: largest or smallest, ties by position, errors") {
    for (const char* backend : kBackends) {
        CAPTURE(backend);
        CpuBackendGuard guard(backend);
        const Tensor x = tensor({1, 3, 2, 5, 4});
        auto [v, i] = topk(x, 2);
        check_values(v, {5, 4});
        CHECK(i.to_vector<std::int64_t>() == I64{3, 4});
        auto [vs, is] = topk(x, 3, 0, false);
        check_values(vs, {1, 2, 3});
        CHECK(is.to_vector<std::int64_t>() == I64{0, 2, 1});
        CHECK(std::get<1>(topk(tensor({1, 2, 2, 1}), 1)).to_vector<std::int64_t>() == I64{1});
        CHECK(std::get<1>(topk(tensor({1, 2, 2, 1}), 3, 0, false)).to_vector<std::int64_t>() == I64{0, 3, 1});
        auto [vn, in] = topk(tensor({1, kNan, 3}), 2);
        check_values(vn, {kNan, 3});
        CHECK(in.to_vector<std::int64_t>() == I64{1, 2});
        check_values(std::get<0>(topk(tensor({1, kNan, 3}), 2, 0, false)), {1, 3});
        // Along dim 0 of a matrix; k = n; k = 0.
        const Tensor m = tensor({5, 1, 4, 2, 6, 0, 3, 7, 8}).view({3, 3});
        auto [vm, im] = topk(m, 2, 0);
        CHECK(vm.sizes() == Dims{2, 3});
        check_values(vm, {5, 7, 8, 3, 6, 4});
        CHECK(im.to_vector<std::int64_t>() == I64{0, 2, 2, 2, 1, 0});
        check_values(std::get<0>(topk(m, 3, 1)), {5, 4, 1, 6, 2, 0, 8, 7, 3});
        CHECK(std::get<0>(topk(m, 0, 1)).sizes() == Dims{3, 0});
        CHECK(std::get<0>(topk(m.t(), 1, -1)).to_vector<float>() == std::vector<float>{5, 7, 8});
    }
    CHECK_THROWS_AS(topk(ones({3}), 4), IndexError);
    CHECK_THROWS_AS(topk(ones({3}), -1), IndexError);
    CHECK_THROWS_AS(topk(ones({3, 2}), 1, 2), IndexError);
}

TEST_CASE("cpu sort and topk agree with the reference on random rows with ties") {
    Generator gen(9);
    const Tensor ints = randint(0, 50, {17, 1000}, {}, &gen);
    const Tensor floats = ints.to(DType::f32) * 0.5;
    const Tensor doubles = randn({5, 333}, TensorOptions(DType::f64), &gen);
    for (const Tensor* x : {&ints, &floats, &doubles}) {
        for (bool desc : {false, true}) {
            std::tuple<Tensor, Tensor> ref_sort, ref_top;
            {
                CpuBackendGuard guard("reference");
                ref_sort = sort(*x, 1, desc);
                ref_top = topk(*x, 37, 1, desc);
            }
            const auto got_sort = sort(*x, 1, desc);
            const auto got_top = topk(*x, 37, 1, desc);
            CHECK(equal(std::get<0>(got_sort), std::get<0>(ref_sort)));
            CHECK(equal(std::get<1>(got_sort), std::get<1>(ref_sort)));
            CHECK(equal(std::get<0>(got_top), std::get<0>(ref_top)));
            CHECK(equal(std::get<1>(got_top), std::get<1>(ref_top)));
        }
    }
}

TEST_CASE("cumsum along any dim; integers and bools give int64") {
    for (const char* backend : kBackends) {
        CAPTURE(backend);
        CpuBackendGuard guard(backend);
        check_values(cumsum(tensor({1, 2, 3, 4}), 0), {1, 3, 6, 10});
        const Tensor x = arange(6).to(DType::f32).view({2, 3});
        check_values(cumsum(x, 1), {0, 1, 3, 3, 7, 12});
        check_values(cumsum(x, 0), {0, 1, 2, 3, 5, 7});
        check_values(cumsum(x, -2), {0, 1, 2, 3, 5, 7});
        check_values(cumsum(x.t(), 1), {0, 3, 1, 5, 2, 7});
        check_values(cumsum(x.slice(1, 0, 3, 2), 1), {0, 2, 3, 8});
        const Tensor i = cumsum(tensor({1, 2, 3}).to(DType::i32), 0);
        CHECK(i.dtype() == DType::i64);
        CHECK(i.to_vector<std::int64_t>() == I64{1, 3, 6});
        const Tensor b = cumsum(tensor({1, 0, 1, 1}).to(DType::b8), 0);
        CHECK(b.dtype() == DType::i64);
        CHECK(b.to_vector<std::int64_t>() == I64{1, 1, 2, 3});
        CHECK(cumsum(tensor({1.5f}).to(DType::f64), 0).dtype() == DType::f64);
        CHECK(cumsum(zeros({0, 3}), 0).sizes() == Dims{0, 3});
        CHECK(cumsum(scalar_tensor(4.0), 0).item<float>() == 4.0f);
        check_values(cumsum(tensor({1, kInf, -kInf, 2}), 0), {1, kInf, kNan, kNan});
    }
    CHECK_THROWS_AS(cumsum(ones({2}), 1), IndexError);
    CHECK_THROWS_AS(cumsum(Tensor(), 0), ValueError);
}
