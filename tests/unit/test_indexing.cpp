#include <doctest/doctest.h>

#include <string>

#include "peso.h"

using namespace peso;

namespace {
const char* kBackends[] = {"cpu", "reference"};
std::vector<double> vals(const Tensor& t) { return t.to_vector<double>(); }
std::vector<std::int64_t> ivals(const Tensor& t) { return t.to_vector<std::int64_t>(); }
Tensor idx(std::vector<std::int64_t> v, std::optional<Dims> shape = {}) { return from_vector(v, shape); }
Tensor f32(std::vector<float> v, std::optional<Dims> shape = {}) { return from_vector(v, shape); }

// Runs `fn` and checks that it throws E with every fragment in its message.
template <typename E, typename Fn> void check_throws_with(Fn&& fn, std::initializer_list<const char*> fragments) {
    bool thrown = false;
    try {
        fn();
    } catch (const E& e) {
        thrown = true;
        const std::string msg = e.what();
        for (const char* f : fragments) CHECK_MESSAGE(msg.find(f) != std::string::npos, "'", msg, "' lacks '", f, "'");
    }
    CHECK_MESSAGE(thrown, "expected an exception");
}

// An op on random data must give the same result on both backends.
template <typename Fn> void check_backends_agree(Fn&& fn, double tol = 1e-5) {
    Tensor a, b;
    {
        CpuBackendGuard g("cpu");
        a = fn();
    }
    {
        CpuBackendGuard g("reference");
        b = fn();
    }
    REQUIRE(a.sizes() == b.sizes());
    CHECK(a.dtype() == b.dtype());
    CHECK(allclose(a.to(DType::f64), b.to(DType::f64), tol, tol));
}

}  // namespace

// ---- index_select / embedding ------------------------------------------------------

TEST_CASE("index_select picks rows and columns, also of non-contiguous input") {
    for (const char* be : kBackends) {
        CpuBackendGuard g(be);
        CAPTURE(be);
        const Tensor x = arange(12).to(DType::f32).view({3, 4});
        const Tensor r = index_select(x, 0, idx({2, 0}));
        CHECK(r.sizes() == Dims{2, 4});
        CHECK(r.dtype() == DType::f32);
        CHECK(vals(r) == std::vector<double>{8, 9, 10, 11, 0, 1, 2, 3});
        const Tensor c = index_select(x, -1, from_vector<std::int32_t>({3, 3, 1}));
        CHECK(c.sizes() == Dims{3, 3});
        CHECK(vals(c) == std::vector<double>{3, 3, 1, 7, 7, 5, 11, 11, 9});
        // Row 1 of the transpose is column 1 of x.
        CHECK(vals(index_select(x.t(), 0, idx({1}))) == std::vector<double>{1, 5, 9});
        // A strided index: every other element of {0, 9, 2, 9}.
        CHECK(vals(index_select(x, 1, idx({0, 9, 2, 9}).slice(0, 0, 4, 2))) ==
              std::vector<double>{0, 2, 4, 6, 8, 10});
        CHECK(index_select(x, 0, idx({})).sizes() == Dims{0, 4});
        CHECK(vals(index_select(x, 1, scalar_tensor(2))) == std::vector<double>{2, 6, 10});
        // Wide rows (copied whole) of int64, and bool data.
        const Tensor w = arange(60).view({3, 20});
        CHECK(ivals(index_select(w, 0, idx({2, 2}))) == ivals(cat({w.select(0, 2), w.select(0, 2)})));
        const Tensor b = from_vector<bool>({true, false, false});
        CHECK(index_select(b, 0, idx({1, 0, 0})).to_vector<bool>() == std::vector<bool>{false, true, true});
    }
}

TEST_CASE("index_select errors: index dtype, shape, values out of range, dim") {
    const Tensor x = zeros({3, 4});
    CHECK_THROWS_AS(index_select(x, 0, f32({0})), DTypeError);
    CHECK_THROWS_AS(index_select(x, 0, idx({0, 1}, Dims{1, 2})), ShapeError);
    CHECK_THROWS_AS(index_select(x, 2, idx({0})), IndexError);
    check_throws_with<IndexError>([&] { index_select(x, 0, idx({0, 3})); }, {"index_select", "3", "size 3"});
    check_throws_with<IndexError>([&] { index_select(x, 1, idx({-1})); }, {"index_select", "-1", "size 4"});
    check_throws_with<IndexError>([&] { index_select(zeros({0, 2}), 0, idx({0})); }, {"index_select", "size 0"});
}

TEST_CASE("embedding looks up rows for any index shape") {
    for (const char* be : kBackends) {
        CpuBackendGuard g(be);
        CAPTURE(be);
        const Tensor weight = arange(6).to(DType::f32).view({3, 2});
        const Tensor e = embedding(weight, idx({2, 0, 1, 1}, Dims{2, 2}));
        CHECK(e.sizes() == Dims{2, 2, 2});
        CHECK(vals(e) == std::vector<double>{4, 5, 0, 1, 2, 3, 2, 3});
        const Tensor one = embedding(weight, scalar_tensor(1));
        CHECK(one.sizes() == Dims{2});
        CHECK(vals(one) == std::vector<double>{2, 3});
        CHECK(vals(embedding(weight, from_vector<std::int32_t>({0}))) == std::vector<double>{0, 1});
        CHECK(embedding(weight, idx({}, Dims{0, 5})).sizes() == Dims{0, 5, 2});
    }
    const Tensor weight = zeros({3, 2});
    check_throws_with<IndexError>([&] { embedding(weight, idx({0, 3})); }, {"embedding", "3", "size 3"});
    check_throws_with<IndexError>([&] { embedding(weight, idx({-2})); }, {"embedding", "-2"});
    CHECK_THROWS_AS(embedding(zeros({3}), idx({0})), ShapeError);
    CHECK_THROWS_AS(embedding(weight, f32({0})), DTypeError);
}

TEST_CASE("index_select agrees across backends on large and strided shapes") {
    for (const Dims shape : {Dims{1000, 64}, Dims{5, 7, 3}, Dims{4, 300, 2}}) {
        for (int d = 0; d < shape.size(); ++d) {
            CAPTURE(shape);
            CAPTURE(d);
            check_backends_agree([&] {
                Generator gen(7);
                const Tensor x = randn(shape, {}, &gen);
                const Tensor i = randint(0, shape[d], {2 * shape[d] + 1}, {}, &gen);
                return index_select(x.transpose(0, -1).contiguous().transpose(0, -1), d, i);
            });
        }
    }
}

// ---- gather --------------------------------------------------------------------------

TEST_CASE("gather along each dim") {
    for (const char* be : kBackends) {
        CpuBackendGuard g(be);
        CAPTURE(be);
        const Tensor x = f32({1, 2, 3, 4}, Dims{2, 2});
        CHECK(vals(gather(x, 1, idx({0, 0, 1, 0}, Dims{2, 2}))) == std::vector<double>{1, 1, 4, 3});
        // Along dim 0 the index may be longer than x; along dim 1 it may be shorter.
        const Tensor g0 = gather(x, 0, idx({0, 1, 1, 0, 0, 0}, Dims{3, 2}));
        CHECK(g0.sizes() == Dims{3, 2});
        CHECK(vals(g0) == std::vector<double>{1, 4, 3, 2, 1, 2});
        const Tensor y = f32({1, 2, 3, 4, 5, 6}, Dims{2, 3});
        CHECK(vals(gather(y, -1, idx({2, 0}, Dims{2, 1}))) == std::vector<double>{3, 4});
        // Non-contiguous input (the transpose of y) and an expanded index.
        const Tensor yt = y.t();  // [[1,4],[2,5],[3,6]]
        CHECK(vals(gather(yt, 1, idx({1}, Dims{1, 1}).expand({3, 2}))) == std::vector<double>{4, 4, 5, 5, 6, 6});
        CHECK(vals(gather(scalar_tensor(5.0), 0, scalar_tensor(0))) == std::vector<double>{5});
        CHECK(gather(y, 1, idx({}, Dims{2, 0})).sizes() == Dims{2, 0});
        CHECK(ivals(gather(arange(4), 0, idx({3, 3}))) == std::vector<std::int64_t>{3, 3});
    }
}

TEST_CASE("gather errors") {
    const Tensor x = zeros({2, 3});
    check_throws_with<IndexError>([&] { gather(x, 1, idx({0, 3}, Dims{2, 1})); }, {"gather", "3", "size 3"});
    check_throws_with<IndexError>([&] { gather(x, 0, idx({-1}, Dims{1, 1})); }, {"gather", "-1"});
    CHECK_THROWS_AS(gather(x, 1, from_vector<std::int32_t>({0, 0}, Dims{2, 1})), DTypeError);
    CHECK_THROWS_AS(gather(x, 1, idx({0, 0})), ShapeError);                      // ndim differs
    CHECK_THROWS_AS(gather(x, 1, idx({0, 0, 0}, Dims{3, 1})), ShapeError);       // dim 0 too long
    CHECK_THROWS_AS(gather(x, 2, idx({0, 0}, Dims{2, 1})), IndexError);          // bad dim
}

TEST_CASE("gather agrees across backends") {
    for (int d = 0; d < 3; ++d) {
        CAPTURE(d);
        check_backends_agree([&] {
            Generator gen(11);
            const Tensor x = randn({6, 40, 50}, {}, &gen).permute({2, 0, 1});  // (50, 6, 40), non-contiguous
            Dims ishape{50, 6, 40};
            ishape[d] = 2 * ishape[d];
            if (d != 2) ishape[2] = 33;  // shorter than x in a non-gathered dim
            return gather(x, d, randint(0, x.size(d), ishape, {}, &gen));
        });
    }
}

// ---- scatter / scatter_add -------------------------------------------------------------

TEST_CASE("scatter writes src along dim (PyTorch's documented examples)") {
    for (const char* be : kBackends) {
        CpuBackendGuard g(be);
        CAPTURE(be);
        const Tensor src = arange(1, 11).to(DType::f32).view({2, 5});
        const Tensor s0 = scatter(zeros({3, 5}), 0, idx({0, 1, 2, 0}, Dims{1, 4}), src);
        CHECK(vals(s0) == std::vector<double>{1, 0, 0, 4, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0});
        const Tensor s1 = scatter(zeros({3, 5}), 1, idx({0, 1, 2, 0, 1, 4}, Dims{2, 3}), src);
        CHECK(vals(s1) == std::vector<double>{1, 2, 3, 0, 0, 6, 7, 0, 0, 8, 0, 0, 0, 0, 0});
        const Tensor sv = scatter(zeros({2, 4}), 1, idx({2, 3}, Dims{2, 1}), 1.25);
        CHECK(vals(sv) == std::vector<double>{0, 0, 1.25, 0, 0, 0, 0, 1.25});
        // Repeated indices: the last write wins, on every backend.
        CHECK(vals(scatter(zeros({3}), 0, idx({1, 1}), f32({5, 6}))) == std::vector<double>{0, 6, 0});
        // int64 and bool data.
        CHECK(ivals(scatter(zeros({3}, DType::i64), 0, idx({2}), 7)) == std::vector<std::int64_t>{0, 0, 7});
        CHECK(scatter(zeros({2}, DType::b8), 0, idx({1}), true).to_vector<bool>() == std::vector<bool>{false, true});
    }
}

TEST_CASE("scatter_add sums repeated indices") {
    for (const char* be : kBackends) {
        CpuBackendGuard g(be);
        CAPTURE(be);
        const Tensor src = ones({2, 5});
        const Tensor a = scatter_add(zeros({3, 5}), 0, idx({0, 1, 2, 0, 0, 0, 1, 2, 2, 2}, Dims{2, 5}), src);
        CHECK(vals(a) == std::vector<double>{2, 0, 0, 1, 1, 0, 2, 0, 0, 0, 0, 0, 2, 1, 1});
        CHECK(vals(scatter_add(zeros({4}), 0, idx({0, 0, 3, 0}), f32({1, 2, 3, 4}))) ==
              std::vector<double>{7, 0, 0, 3});
        CHECK(ivals(scatter_add(arange(3), 0, idx({2, 2}), idx({10, 20}))) == std::vector<std::int64_t>{0, 1, 32});
    }
}

TEST_CASE("scatter_ in place: views, versions, out-of-place leaves input alone") {
    for (const char* be : kBackends) {
        CpuBackendGuard g(be);
        CAPTURE(be);
        Tensor x = zeros({4, 3});
        Tensor xt = x.t();  // (3, 4), non-contiguous view of x
        const auto v0 = x.impl().storage->version();
        xt.scatter_(1, idx({0, 1, 2}, Dims{3, 1}), 9.0);
        CHECK(x.impl().storage->version() > v0);
        CHECK(vals(x) == std::vector<double>{9, 0, 0, 0, 9, 0, 0, 0, 9, 0, 0, 0});
        const auto v1 = x.impl().storage->version();
        xt.scatter_add_(0, idx({2}, Dims{1, 1}), full({1, 1}, 1.0));
        CHECK(x.impl().storage->version() > v1);
        CHECK(vals(x.select(0, 0)) == std::vector<double>{9, 0, 1});
        // src bigger than index: only index's extent is read.
        Tensor y = zeros({2, 2});
        y.scatter_(0, idx({1, 0}, Dims{1, 2}), f32({5, 6, 7, 8, 9, 10}, Dims{2, 3}));
        CHECK(vals(y) == std::vector<double>{0, 6, 5, 0});
        // src aliasing self is read before it is overwritten.
        Tensor z = f32({1, 2, 3});
        z.scatter_(0, idx({1, 2, 0}), z);
        CHECK(vals(z) == std::vector<double>{3, 1, 2});
        const Tensor in = zeros({3});
        const Tensor out = scatter(in, 0, idx({0}), 1.0);
        CHECK(vals(in) == std::vector<double>{0, 0, 0});
        CHECK(vals(out) == std::vector<double>{1, 0, 0});
    }
}

TEST_CASE("scatter errors") {
    Tensor x = zeros({2, 3});
    check_throws_with<IndexError>([&] { x.scatter_(1, idx({3}, Dims{1, 1}), 1.0); }, {"scatter_", "3", "size 3"});
    check_throws_with<IndexError>([&] { scatter_add(x, 0, idx({-1}, Dims{1, 1}), ones({1, 1})); },
                                  {"scatter_add:", "-1", "size 2"});
    CHECK_THROWS_AS(scatter(x, 0, idx({0}, Dims{1, 1}), ones({1, 1}, DType::f64)), DTypeError);
    CHECK_THROWS_AS(scatter(x, 0, from_vector<std::int32_t>({0}, Dims{1, 1}), 1.0), DTypeError);
    CHECK_THROWS_AS(scatter(x, 0, idx({0, 0}, Dims{1, 2}), ones({1, 1})), ShapeError);   // index > src
    CHECK_THROWS_AS(scatter(x, 0, idx({0, 0, 0, 0}, Dims{1, 4}), 1.0), ShapeError);      // index > self
    CHECK_THROWS_AS(scatter(x, 0, idx({0}), 1.0), ShapeError);                           // ndim differs
    Tensor expanded = zeros({1, 3}).expand({2, 3});
    CHECK_THROWS_AS(expanded.scatter_(1, idx({0, 0}, Dims{2, 1}), 1.0), ValueError);
    CHECK(vals(x) == std::vector<double>(6, 0.0));  // failed calls changed nothing
}

TEST_CASE("scatter and scatter_add agree across backends") {
    for (int d = 0; d < 3; ++d) {
        for (const bool accumulate : {false, true}) {
            CAPTURE(d);
            CAPTURE(accumulate);
            check_backends_agree([&] {
                Generator gen(3);
                const Tensor self = randn({20, 30, 40}, {}, &gen).transpose(0, 2);  // (40, 30, 20)
                Dims ishape{40, 30, 20};
                ishape[d] = 3 * ishape[d];
                ishape[(d + 1) % 3] -= 5;
                const Tensor index = randint(0, self.size(d), ishape, {}, &gen);
                const Tensor src = randn(ishape, {}, &gen);
                return accumulate ? scatter_add(self, d, index, src) : scatter(self, d, index, src);
            });
        }
    }
}

// ---- index_add -------------------------------------------------------------------------

TEST_CASE("index_add adds rows at indices, with alpha and repeats") {
    for (const char* be : kBackends) {
        CpuBackendGuard g(be);
        CAPTURE(be);
        const Tensor t = f32({1, 2, 3, 4, 5, 6, 7, 8, 9}, Dims{3, 3});
        Tensor x = ones({5, 3});
        x.index_add_(0, idx({0, 4, 2}), t);
        CHECK(vals(x) == std::vector<double>{2, 3, 4, 1, 1, 1, 8, 9, 10, 1, 1, 1, 5, 6, 7});
        CHECK(vals(index_add(ones({5, 3}), 0, from_vector<std::int32_t>({0, 4, 2}), t, 2)) ==
              std::vector<double>{3, 5, 7, 1, 1, 1, 15, 17, 19, 1, 1, 1, 9, 11, 13});
        CHECK(vals(index_add(zeros({3}), 0, idx({0, 0, 2}), f32({1, 2, 3}))) == std::vector<double>{3, 0, 3});
        CHECK(vals(index_add(zeros({2, 3}), 1, idx({2, 0}), f32({1, 2, 3, 4}, Dims{2, 2}))) ==
              std::vector<double>{2, 0, 1, 4, 0, 3});
        CHECK(ivals(index_add(arange(3), 0, idx({1}), idx({5}), -1)) == std::vector<std::int64_t>{0, -4, 2});
        // In place into a non-contiguous view: x2.t() is (3, 2).
        Tensor x2 = zeros({2, 3});
        Tensor view = x2.t();
        const auto v0 = x2.impl().storage->version();
        view.index_add_(0, idx({1, 1}), f32({1, 2, 3, 4}, Dims{2, 2}));
        CHECK(x2.impl().storage->version() > v0);
        CHECK(vals(x2) == std::vector<double>{0, 4, 0, 0, 6, 0});
        // Input unchanged by the out-of-place form; empty index is a no-op.
        const Tensor in = zeros({2});
        CHECK(vals(index_add(in, 0, idx({}), zeros({0}))) == std::vector<double>{0, 0});
        CHECK(vals(in) == std::vector<double>{0, 0});
    }
}

TEST_CASE("index_add errors") {
    Tensor x = zeros({3, 2});
    check_throws_with<IndexError>([&] { x.index_add_(0, idx({3}), ones({1, 2})); }, {"index_add_", "3", "size 3"});
    check_throws_with<IndexError>([&] { x.index_add_(0, idx({-1}), ones({1, 2})); }, {"index_add_", "-1"});
    CHECK_THROWS_AS(x.index_add_(0, idx({0}), ones({1, 2}, DType::f64)), DTypeError);
    CHECK_THROWS_AS(x.index_add_(0, f32({0}), ones({1, 2})), DTypeError);
    CHECK_THROWS_AS(x.index_add_(0, idx({0, 1}), ones({1, 2})), ShapeError);   // 2 indices, 1 row
    CHECK_THROWS_AS(x.index_add_(0, idx({0}), ones({1, 3})), ShapeError);      // other dim differs
    CHECK_THROWS_AS(x.index_add_(0, idx({0}, Dims{1, 1}), ones({1, 2})), ShapeError);
    Tensor i = zeros({3}, DType::i64);
    CHECK_THROWS_AS(i.index_add_(0, idx({0}), idx({1}), 0.5), DTypeError);
    CHECK(vals(x) == std::vector<double>(6, 0.0));
}

TEST_CASE("index_add agrees across backends (parallel paths)") {
    for (int d = 0; d < 3; ++d) {
        CAPTURE(d);
        check_backends_agree([&] {
            Generator gen(5);
            const Tensor self = randn({4, 200, 600}, {}, &gen);
            Dims sshape{4, 200, 600};
            sshape[d] = 2 * sshape[d];
            const Tensor index = randint(0, self.size(d), {sshape[d]}, {}, &gen);
            return index_add(self, d, index, randn(sshape, {}, &gen), 0.5);
        });
    }
}

// ---- one_hot ------------------------------------------------------------------------------

TEST_CASE("one_hot") {
    for (const char* be : kBackends) {
        CpuBackendGuard g(be);
        CAPTURE(be);
        const Tensor o = one_hot(idx({0, 2, 1}));
        CHECK(o.dtype() == DType::i64);
        CHECK(o.sizes() == Dims{3, 3});
        CHECK(ivals(o) == std::vector<std::int64_t>{1, 0, 0, 0, 0, 1, 0, 1, 0});
        const Tensor o4 = one_hot(idx({3, 0}, Dims{2, 1}), 4);
        CHECK(o4.sizes() == Dims{2, 1, 4});
        CHECK(ivals(o4) == std::vector<std::int64_t>{0, 0, 0, 1, 1, 0, 0, 0});
        CHECK(ivals(one_hot(scalar_tensor(1), 2)) == std::vector<std::int64_t>{0, 1});
        CHECK(one_hot(idx({}), 3).sizes() == Dims{0, 3});
        // Non-contiguous indices.
        CHECK(ivals(one_hot(idx({0, 1, 1, 0}, Dims{2, 2}).t(), 2)) ==
              std::vector<std::int64_t>{1, 0, 0, 1, 0, 1, 1, 0});
    }
    check_throws_with<IndexError>([] { one_hot(idx({0, 3}), 3); }, {"one_hot", "3"});
    check_throws_with<IndexError>([] { one_hot(idx({-1, 0})); }, {"one_hot", "-1"});
    CHECK_THROWS_AS(one_hot(from_vector<std::int32_t>({0})), DTypeError);
    CHECK_THROWS_AS(one_hot(idx({})), ValueError);
    CHECK_THROWS_AS(one_hot(idx({0}), -2), ValueError);
}
