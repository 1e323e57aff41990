#include <doctest/doctest.h>

#include <omp.h>

#include <algorithm>
#include <set>

#include "core/philox.h"
#include "peso.h"

using namespace peso;

TEST_CASE("philox matches the published known-answer vector") {
    // Random123's kat_vectors: philox4x32-10 with counter 0 and key 0.
    const auto b = philox::generate(0, 0);
    CHECK(b[0] == 0x6627e8d5u);
    CHECK(b[1] == 0xe169c58du);
    CHECK(b[2] == 0xbc57ac4cu);
    CHECK(b[3] == 0x9b00dbd8u);
}

TEST_CASE("same seed, same numbers, for any thread count and backend") {
    Generator g1(42);
    const auto a = rand({100000}, {}, &g1).to_vector<float>();
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    Generator g2(42);
    const auto b = rand({100000}, {}, &g2).to_vector<float>();
    omp_set_num_threads(saved);
    CHECK(a == b);
    CpuBackendGuard ref("reference");
    Generator g3(42);
    CHECK(rand({100000}, {}, &g3).to_vector<float>() == a);
}

TEST_CASE("a generator advances: consecutive draws differ, reseeding repeats") {
    manual_seed(7);
    const auto a = randn({8}).to_vector<float>();
    const auto b = randn({8}).to_vector<float>();
    CHECK(a != b);
    manual_seed(7);
    CHECK(randn({8}).to_vector<float>() == a);
}

TEST_CASE("distributions have the right moments and ranges") {
    Generator g(1);
    const Tensor u = rand({200000}, DType::f64, &g);
    CHECK(amin(u).item<double>() >= 0.0);
    CHECK(amax(u).item<double>() < 1.0);
    CHECK(mean(u).item<double>() == doctest::Approx(0.5).epsilon(0.01));
    const Tensor n = randn({200000}, DType::f64, &g);
    CHECK(mean(n).item<double>() == doctest::Approx(0.0).scale(1.0).epsilon(0.01));
    CHECK(peso::std(n).item<double>() == doctest::Approx(1.0).epsilon(0.01));
    const Tensor r = randint(-3, 4, {10000}, {}, &g);
    CHECK(r.dtype() == DType::i64);
    CHECK(amin(r).item<std::int64_t>() == -3);
    CHECK(amax(r).item<std::int64_t>() == 3);
    Tensor t = empty({100000});
    uniform_(t, 2.0, 3.0, &g);
    CHECK(amin(t).item<float>() >= 2.0f);
    CHECK(amax(t).item<float>() < 3.0f);
    normal_(t, 5.0, 0.5, &g);
    CHECK(mean(t).item<float>() == doctest::Approx(5.0).epsilon(0.01));
    const Tensor bern = bernoulli(full({100000}, 0.25), &g);
    CHECK(mean(bern).item<float>() == doctest::Approx(0.25).epsilon(0.02));
}

TEST_CASE("randperm is a permutation") {
    Generator g(3);
    auto p = randperm(1000, {}, &g).to_vector<std::int64_t>();
    auto sorted = p;
    std::sort(sorted.begin(), sorted.end());
    for (std::int64_t i = 0; i < 1000; ++i) CHECK(sorted[i] == i);
    CHECK(p != sorted);
}

TEST_CASE("multinomial with and without replacement") {
    Generator g(5);
    const Tensor probs = from_vector<float>({0.0f, 0.2f, 0.8f});
    const auto s = multinomial(probs, 20000, true, &g).to_vector<std::int64_t>();
    const auto c2 = std::count(s.begin(), s.end(), 2);
    CHECK(std::count(s.begin(), s.end(), 0) == 0);
    CHECK(static_cast<double>(c2) / 20000.0 == doctest::Approx(0.8).epsilon(0.02));
    // Without replacement: distinct categories, zero-probability ones never before others.
    const Tensor p2 = from_vector<float>({1, 1, 1, 1, 1, 0}, Dims{1, 6});
    const auto d = multinomial(p2, 5, false, &g).to_vector<std::int64_t>();
    CHECK(std::set<std::int64_t>(d.begin(), d.end()).size() == 5);
    CHECK(std::find(d.begin(), d.end(), 5) == d.end());
    CHECK_THROWS_AS(multinomial(p2, 7, false, &g), ValueError);
    CHECK_THROWS_AS(multinomial(from_vector<float>({-1.0f, 2.0f}), 1, true, &g), ValueError);
}
