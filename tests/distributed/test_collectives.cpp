// Every collective against hand-computed results, on every rank, for several
// sizes (including sizes the world size does not divide, and empty tensors)
// and dtypes. Run by ctest under `mpirun -np 2`; also passes on one process.
#include <doctest/doctest.h>

#include "peso.h"
#include "tests/distributed/world.h"

using namespace peso;
using DistOp = distributed::ReduceOp;

namespace {

const std::int64_t kSizes[] = {0, 1, 2, 3, 7, 1000, 100003};

// Small integers, exact in every dtype and in their sums.
double base(std::int64_t i) { return static_cast<double>(i % 97) - 40.0; }

template <typename T> Tensor filled(std::int64_t n, DType d, T (*f)(std::int64_t)) {
    Tensor t = native::empty({n}, d);
    for (std::int64_t i = 0; i < n; ++i) t.data_ptr<T>()[i] = f(i);
    return t;
}

template <typename T> void check_allreduce(DType d, DistOp op) {
    auto& c = *test::world();
    const int w = c.world_size(), r = c.rank();
    for (std::int64_t n : kSizes) {
        Tensor t = native::empty({n}, d);
        for (std::int64_t i = 0; i < n; ++i) t.data_ptr<T>()[i] = static_cast<T>(base(i) * (r + 1));
        c.allreduce(t, op)->wait();
        // sum over ranks of base(i) * (r + 1) = base(i) * w (w + 1) / 2
        const double total = w * (w + 1) / 2.0;
        std::int64_t wrong = 0;
        for (std::int64_t i = 0; i < n; ++i) {
            const double want = base(i) * (op == DistOp::avg ? total / w : total);
            if (static_cast<double>(t.data_ptr<T>()[i]) != static_cast<T>(want)) ++wrong;
        }
        CHECK_MESSAGE(wrong == 0, "allreduce ", dtype_name(d), " n=", n, ": ", wrong, " wrong elements");
    }
}

}  // namespace

TEST_CASE("shard_range splits n elements into contiguous parts, the first n % world one larger") {
    CHECK(distributed::shard_range(10, 3, 0) == std::pair<std::int64_t, std::int64_t>{0, 4});
    CHECK(distributed::shard_range(10, 3, 1) == std::pair<std::int64_t, std::int64_t>{4, 7});
    CHECK(distributed::shard_range(10, 3, 2) == std::pair<std::int64_t, std::int64_t>{7, 10});
    CHECK(distributed::shard_range(2, 4, 3) == std::pair<std::int64_t, std::int64_t>{2, 2});
    CHECK_THROWS_AS(distributed::shard_range(5, 2, 2), ValueError);
}

TEST_CASE("allreduce sums and averages, every dtype it takes") {
    check_allreduce<float>(DType::f32, DistOp::sum);
    check_allreduce<double>(DType::f64, DistOp::sum);
    check_allreduce<std::int32_t>(DType::i32, DistOp::sum);
    check_allreduce<std::int64_t>(DType::i64, DistOp::sum);
    check_allreduce<float>(DType::f32, DistOp::avg);
    check_allreduce<double>(DType::f64, DistOp::avg);
}

TEST_CASE("broadcast copies the root's tensor, any dtype") {
    auto& c = *test::world();
    const int root = c.world_size() - 1;
    for (std::int64_t n : kSizes) {
        Tensor f = native::full({n}, static_cast<double>(c.rank()), DType::f32);
        Tensor l = native::full({n, 1}, static_cast<std::int64_t>(c.rank() * 7), DType::i64);
        if (c.rank() == root)
            for (std::int64_t i = 0; i < n; ++i) f.data_ptr<float>()[i] = static_cast<float>(base(i));
        auto w1 = c.broadcast(f, root);
        auto w2 = c.broadcast(l, root);
        w1->wait();
        w2->wait();
        std::int64_t wrong = 0;
        for (std::int64_t i = 0; i < n; ++i)
            wrong += f.data_ptr<float>()[i] != static_cast<float>(base(i)) || l.data_ptr<std::int64_t>()[i] != root * 7;
        CHECK_MESSAGE(wrong == 0, "broadcast n=", n);
    }
}

TEST_CASE("allgather puts every rank's shard in place; reduce_scatter leaves each rank its reduced shard") {
    auto& c = *test::world();
    const int w = c.world_size(), r = c.rank();
    for (std::int64_t n : kSizes) {
        const auto [b, e] = distributed::shard_range(n, w, r);
        // allgather, int64 and float64: element i comes from the rank that owns it.
        Tensor g = native::full({n}, std::int64_t{-1}, DType::i64);
        Tensor h = native::full({n}, -1.0, DType::f64);
        for (std::int64_t i = b; i < e; ++i) {
            g.data_ptr<std::int64_t>()[i] = r * 1000003 + i;
            h.data_ptr<double>()[i] = r + 0.25 * static_cast<double>(i);
        }
        c.allgather(g)->wait();
        c.allgather(h)->wait();
        std::int64_t wrong = 0;
        for (int q = 0; q < w; ++q) {
            const auto [qb, qe] = distributed::shard_range(n, w, q);
            for (std::int64_t i = qb; i < qe; ++i)
                wrong += g.data_ptr<std::int64_t>()[i] != q * 1000003 + i ||
                         h.data_ptr<double>()[i] != q + 0.25 * static_cast<double>(i);
        }
        CHECK_MESSAGE(wrong == 0, "allgather n=", n);

        // reduce_scatter, sum (int32) and avg (float32).
        Tensor s = native::empty({n}, DType::i32);
        Tensor a = native::empty({n}, DType::f32);
        for (std::int64_t i = 0; i < n; ++i) {
            s.data_ptr<std::int32_t>()[i] = static_cast<std::int32_t>((r + 1) * (i % 13));
            a.data_ptr<float>()[i] = static_cast<float>((r + 1) * (i % 13));
        }
        c.reduce_scatter(s, DistOp::sum)->wait();
        c.reduce_scatter(a, DistOp::avg)->wait();
        wrong = 0;
        for (std::int64_t i = b; i < e; ++i) {
            const double sum = static_cast<double>(i % 13) * w * (w + 1) / 2.0;
            wrong += s.data_ptr<std::int32_t>()[i] != static_cast<std::int32_t>(sum) ||
                     a.data_ptr<float>()[i] != static_cast<float>(sum / w);
        }
        CHECK_MESSAGE(wrong == 0, "reduce_scatter n=", n, " rank ", r);
    }
}

TEST_CASE("collectives in flight together complete in issue order with the right results") {
    auto& c = *test::world();
    const int w = c.world_size();
    std::vector<Tensor> ts;
    std::vector<distributed::WorkPtr> works;
    for (int k = 0; k < 20; ++k) {
        ts.push_back(native::full({1000 + k * 37}, static_cast<float>(k + c.rank()), DType::f32));
        works.push_back(c.allreduce(ts.back(), DistOp::sum));
    }
    for (auto& wk : works) wk->wait();
    for (int k = 0; k < 20; ++k) {
        const float want = static_cast<float>(k * w + w * (w - 1) / 2);
        CHECK(ts[k].data_ptr<float>()[0] == want);
        CHECK(ts[k].data_ptr<float>()[ts[k].numel() - 1] == want);
        CHECK(works[k]->completed());
    }
    c.barrier();
}

TEST_CASE("bad arguments get clear errors before anything is sent") {
    auto& c = *test::world();
    Tensor m = native::zeros({4, 3}, DType::f32);
    Tensor tr = native::transpose(m, 0, 1);
    CHECK_THROWS_WITH_AS(c.allreduce(tr, DistOp::sum), doctest::Contains("must be contiguous"), ValueError);
    Tensor i = native::zeros({4}, DType::i32);
    CHECK_THROWS_WITH_AS(c.allreduce(i, DistOp::avg), doctest::Contains("avg needs a floating dtype"), DTypeError);
    Tensor b = native::zeros({4}, DType::b8);
    CHECK_THROWS_WITH_AS(c.reduce_scatter(b, DistOp::sum), doctest::Contains("reductions take"), DTypeError);
    CHECK_THROWS_AS(c.broadcast(m, c.world_size()), ValueError);
}
