// sort and topk on the emulated CUDA device against the cpu reference backend,
// exactly (values and indices: the order is the stable sort's, NaN above every
// number): at GPT-2's vocabulary size (50257, many tiles and merge passes), at
// the sizes around the kernels' tile of 2048, with many ties and with NaN.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>

#include "peso.h"

using namespace peso;

namespace {

const Device kCuda = Device::cuda(0);

template <class F>
auto on_reference(F f) {
    const CpuBackendGuard g("reference");
    return f();
}

void check_same(const std::tuple<Tensor, Tensor>& got, const std::tuple<Tensor, Tensor>& want) {
    CHECK(allclose(std::get<0>(got).to(Device::cpu()), std::get<0>(want), 0.0, 0.0, /*equal_nan=*/true));
    CHECK(equal(std::get<1>(got).to(Device::cpu()), std::get<1>(want)));
}

// Logits with ties (rounded to 1/64) and, when asked, a few NaNs.
Tensor logits(const Dims& shape, Generator& gen, bool with_nan, DType dtype = DType::f32) {
    Tensor x = div(round(mul(randn(shape, TensorOptions(dtype), &gen), 64.0)), 64.0);
    if (with_nan) {
        const std::int64_t n = shape[shape.size() - 1];
        for (std::int64_t at : {n / 3, n - 1, n / 3 + 1}) x.narrow(-1, at, 1).fill_(std::nan(""));
    }
    return x;
}

}  // namespace

TEST_CASE("cuda ordering: top-k and sort at GPT-2's vocabulary size (50257)") {
    Generator gen(21);
    const Tensor x = logits({3, 50257}, gen, /*with_nan*/ false);
    const Tensor xc = x.to(kCuda);
    for (std::int64_t k : {1, 50, 5000}) {
        INFO("k = ", k);
        const auto start = std::chrono::steady_clock::now();
        const auto got = topk(xc, k, -1);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        MESSAGE("topk k=", k, " of 3 x 50257 on the emulator: ", s, " s");
        check_same(got, on_reference([&] { return topk(x, k, -1); }));
    }
    check_same(topk(xc, 40, -1, /*largest*/ false), on_reference([&] { return topk(x, 40, -1, false); }));
    const auto start = std::chrono::steady_clock::now();
    const auto sorted = sort(xc, -1, /*descending*/ true);
    MESSAGE("sort of 3 x 50257 on the emulator: ",
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), " s");
    check_same(sorted, on_reference([&] { return sort(x, -1, true); }));
    check_same(sort(xc, -1), on_reference([&] { return sort(x, -1); }));
}

TEST_CASE("cuda ordering: rows around the tile size, ties, NaN, integers, columns") {
    Generator gen(22);
    for (std::int64_t n : {1, 2, 3, 33, 2047, 2048, 2049, 4097, 6145}) {
        INFO("n = ", n);
        const Tensor x = logits({4, n}, gen, /*with_nan*/ n > 3, DType::f64);
        const Tensor xc = x.to(kCuda);
        check_same(sort(xc, -1), on_reference([&] { return sort(x, -1); }));
        check_same(sort(xc, -1, true), on_reference([&] { return sort(x, -1, true); }));
        for (std::int64_t k : {std::int64_t{1}, std::min<std::int64_t>(n, 7), std::min<std::int64_t>(n, 2049), n}) {
            check_same(topk(xc, k, -1), on_reference([&] { return topk(x, k, -1); }));
            check_same(topk(xc, k, -1, false), on_reference([&] { return topk(x, k, -1, false); }));
        }
    }
    // Integers with many ties: stability decides the indices.
    const Tensor i = randint(-3, 3, {5, 3000}, TensorOptions(DType::i64), &gen);
    check_same(sort(i.to(kCuda), -1), on_reference([&] { return sort(i, -1); }));
    check_same(sort(i.to(kCuda), -1, true), on_reference([&] { return sort(i, -1, true); }));
    check_same(topk(i.to(kCuda), 100, -1), on_reference([&] { return topk(i, 100, -1); }));
    // Along dim 0 of a matrix (rows made of its columns), and many short rows.
    const Tensor m = logits({2500, 6}, gen, false);
    check_same(sort(m.to(kCuda), 0), on_reference([&] { return sort(m, 0); }));
    check_same(sort(m.to(kCuda), 1, true), on_reference([&] { return sort(m, 1, true); }));
}
