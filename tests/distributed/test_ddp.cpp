// DistributedDataParallel and ZeRO-1 against single-process references
// computed in the same process. Run by ctest under `mpirun -np 2`; the same
// checks hold on one process.
#include <doctest/doctest.h>

#include <cmath>

#include "nn/distributed_data_parallel.h"
#include "nn/linear.h"
#include "nn/optim/adam.h"
#include "nn/optim/zero_redundancy.h"
#include "peso.h"
#include "tests/distributed/world.h"

using namespace peso;

namespace {

// x -> c(tanh(a(x))), plus a layer `b` that the loss may or may not use.
struct Net : nn::Module {
    std::shared_ptr<nn::Linear> a, b, c, never;
    explicit Net(std::int64_t hidden = 6) {
        manual_seed(7);  // every rank starts equal; DDP still broadcasts rank 0's
        a = register_module("a", std::make_shared<nn::Linear>(5, hidden));
        b = register_module("b", std::make_shared<nn::Linear>(hidden, hidden));
        c = register_module("c", std::make_shared<nn::Linear>(hidden, 3));
        never = register_module("never", std::make_shared<nn::Linear>(2, 2));
    }
    Tensor loss(const Tensor& x, bool use_b = true) const {
        Tensor h = tanh(a->forward(x));
        if (use_b) h = tanh(b->forward(h));
        Tensor y = c->forward(h);
        return mean(y * y);
    }
};

// A fixed global batch of 8 rows; rank r of w takes rows [r 8/w, (r+1) 8/w).
Tensor global_batch() {
    Generator g(99);
    return native::randn({8, 5}, DType::f32, &g);
}
Tensor my_rows(const Tensor& x) {
    auto& c = *test::world();
    const std::int64_t per = x.size(0) / c.world_size();
    return native::narrow(x, 0, c.rank() * per, per);
}

double max_rel_diff(const Tensor& a, const Tensor& b) {
    double scale = 0, diff = 0;
    const float* pa = a.data_ptr<float>();
    const float* pb = b.data_ptr<float>();
    for (std::int64_t i = 0; i < a.numel(); ++i) {
        scale = std::max(scale, std::fabs(static_cast<double>(pb[i])));
        diff = std::max(diff, std::fabs(static_cast<double>(pa[i]) - pb[i]));
    }
    return diff / std::max(scale, 1e-30);
}

void check_grads_match(const Net& got, const Net& want, double tol) {
    const auto g = got.named_parameters(), w = want.named_parameters();
    for (std::size_t i = 0; i < g.size(); ++i) {
        if (!w[i].second.grad().defined()) {
            CHECK_MESSAGE(!g[i].second.grad().defined(), g[i].first, " has a gradient, the reference none");
            continue;
        }
        REQUIRE_MESSAGE(g[i].second.grad().defined(), g[i].first, " has no gradient");
        CHECK_MESSAGE(max_rel_diff(g[i].second.grad(), w[i].second.grad()) <= tol, g[i].first);
    }
}

}  // namespace

TEST_CASE("DDP: averaged gradients equal the full batch's, in several buckets") {
    auto comm = test::world();
    const Tensor x = global_batch();
    Net ref;
    ref.loss(x).backward();
    Net net;
    // Tiny buckets: several per backward, launched while backward runs.
    nn::DistributedDataParallel ddp(net, comm, {/*bucket_cap_mb=*/20.0 / (1024 * 1024)});
    CHECK(ddp.num_buckets() > 3);
    net.loss(my_rows(x)).backward();
    check_grads_match(net, ref, 1e-6);
    CHECK(ddp.last_wait_seconds() >= 0.0);
    // A second step, gradients zeroed in place (zero_grad(set_to_none=false)): they are views of the
    // buckets by now, so backward accumulates straight into the buckets.
    for (auto& p : net.parameters()) {
        if (!p.grad().defined()) continue;
        Tensor g = p.grad();
        g.zero_();
    }
    for (auto& p : ref.parameters()) p.set_grad(Tensor());
    ref.loss(x * 2.0).backward();
    net.loss(my_rows(x) * 2.0).backward();
    check_grads_match(net, ref, 1e-6);
}

TEST_CASE("DDP: parameters start as rank 0's") {
    auto comm = test::world();
    Net net;
    {
        NoGradGuard g;
        net.a->weight.fill_(static_cast<double>(comm->rank()) + 1.0);
    }
    nn::DistributedDataParallel ddp(net, comm);
    CHECK(net.a->weight.data_ptr<float>()[0] == 1.0f);
    CHECK(net.a->weight.data_ptr<float>()[net.a->weight.numel() - 1] == 1.0f);
}

TEST_CASE("DDP: no_sync accumulates locally; the next synchronized backward averages the sums") {
    auto comm = test::world();
    const Tensor x = global_batch();
    const Tensor x2 = x * -0.5;
    Net ref;
    ref.loss(x).backward();
    ref.loss(x2).backward();
    Net net;
    nn::DistributedDataParallel ddp(net, comm);
    {
        auto guard = ddp.no_sync();
        net.loss(my_rows(x)).backward();
    }
    net.loss(my_rows(x2)).backward();
    check_grads_match(net, ref, 1e-6);
}

TEST_CASE("DDP: a parameter unused on some rank counts as zero there; one no rank uses keeps no gradient") {
    auto comm = test::world();
    const Tensor x = global_batch();
    const int w = comm->world_size();
    Net net;
    nn::DistributedDataParallel ddp(net, comm);
    const bool use_b = comm->rank() == 0;  // only rank 0 goes through b
    net.loss(my_rows(x), use_b).backward();
    // Reference: b's gradient is rank 0's rows' gradient (w = 1: the whole batch's) divided by w.
    Net ref;
    const std::int64_t per = 8 / w;
    ref.loss(native::narrow(x, 0, 0, per), true).backward();
    REQUIRE(net.b->weight.grad().defined());
    Tensor want = native::div(ref.b->weight.grad(), static_cast<double>(w));
    CHECK(max_rel_diff(net.b->weight.grad(), want) <= 1e-6);
    CHECK_FALSE(net.never->weight.grad().defined());
    CHECK_FALSE(net.never->bias.grad().defined());
}

TEST_CASE("DDP: ranks with different parameter shapes get a clear error") {
    auto comm = test::world();
    if (comm->world_size() < 2) return;
    Net net(comm->rank() == 0 ? 6 : 7);
    CHECK_THROWS_WITH_AS(nn::DistributedDataParallel(net, comm),
                         doctest::Contains("parameter 'a.weight' has shape (6, 5) (float32) on rank 0 but (7, 5)"),
                         ValueError);
}

TEST_CASE("ZeRO-1: sharded AdamW gives the unsharded one's parameters and, consolidated, its full state") {
    auto comm = test::world();
    const Tensor x = global_batch();
    Net plain, sharded;
    nn::optim::AdamWOptions o;
    o.lr = 0.05;
    nn::optim::AdamW opt_plain(plain.parameters(), o), opt_inner(sharded.parameters(), o);
    nn::optim::ZeroRedundancyOptimizer zero(opt_inner, comm);
    for (int step = 0; step < 3; ++step) {
        for (Net* n : {&plain, &sharded}) {
            for (auto& p : n->parameters()) p.set_grad(Tensor());
            n->loss(x * (1.0 + step)).backward();
        }
        opt_plain.step();
        zero.step();
    }
    const auto pp = plain.parameters(), ps = sharded.parameters();
    for (std::size_t i = 0; i < pp.size(); ++i) CHECK(max_rel_diff(ps[i], pp[i]) == 0.0);
    // Only owned parameters keep moments.
    const auto own = opt_inner.state_tensors();
    for (const auto& [k, t] : own) CHECK(zero.owner(std::stoul(k.substr(6))) == comm->rank());
    if (comm->world_size() > 1) CHECK(own.size() < opt_plain.state_tensors().size());
    zero.consolidate(0);
    if (comm->rank() == 0) {
        const auto full = opt_inner.state_tensors(), want = opt_plain.state_tensors();
        REQUIRE(full.size() == want.size());
        for (std::size_t i = 0; i < full.size(); ++i) {
            CHECK(full[i].first == want[i].first);
            CHECK(max_rel_diff(full[i].second, want[i].second) == 0.0);
        }
        CHECK(opt_inner.state_scalars() == opt_plain.state_scalars());
    }
    zero.shard();
    for (const auto& [k, t] : opt_inner.state_tensors()) CHECK(zero.owner(std::stoul(k.substr(6))) == comm->rank());
}
