// The NCCL communicator on real GPUs: every collective against hand-computed
// results on CUDA tensors, and DistributedDataParallel's averaged gradients on
// a CUDA model. Runs with one rank (NCCL with a world of one still runs every
// kernel and the MPI bootstrap) or under mpirun with one GPU per rank. Without
// a GPU, or without NCCL in the build, it passes after saying why it skipped.
#include <doctest/doctest.h>

#include <cstdio>
#include <memory>

#include "backends/registry.h"
#include "peso.h"
#include "tests/support/gpu_required.h"
#ifdef PESO_WITH_NCCL
#include "distributed/init.h"
#include "distributed/nccl_communicator.h"
#include "nn/distributed_data_parallel.h"
#include "nn/linear.h"
#endif

using namespace peso;

#ifdef PESO_WITH_NCCL
namespace {

std::shared_ptr<distributed::Communicator> nccl() {
    static std::shared_ptr<distributed::Communicator> c = [] {
        auto mpi = std::make_shared<distributed::MpiCommunicator>();
        return std::shared_ptr<distributed::Communicator>(
            std::make_shared<distributed::NcclCommunicator>(mpi, distributed::local_rank()));
    }();
    return c;
}

Tensor on_gpu(const Tensor& t) { return native::to_device(t, nccl()->device()); }
Tensor on_cpu(const Tensor& t) { return native::to_device(t, Device::cpu()); }

}  // namespace

TEST_CASE("NCCL: allreduce, broadcast, allgather, reduce_scatter on CUDA tensors") {
    PESO_REQUIRE_GPU();
    auto c = nccl();
    const int w = c->world_size(), r = c->rank();
    for (std::int64_t n : {1, 3, 1000, 100003}) {
        Tensor x = native::empty({n}, DType::f32);
        for (std::int64_t i = 0; i < n; ++i) x.data_ptr<float>()[i] = static_cast<float>((i % 97) * (r + 1));
        Tensor g = on_gpu(x);
        c->allreduce(g, distributed::ReduceOp::sum)->wait();
        Tensor back = on_cpu(g);
        std::int64_t wrong = 0;
        for (std::int64_t i = 0; i < n; ++i)
            wrong += back.data_ptr<float>()[i] != static_cast<float>((i % 97) * w * (w + 1) / 2);
        CHECK_MESSAGE(wrong == 0, "allreduce n=", n);

        Tensor b = on_gpu(native::full({n}, static_cast<double>(r + 5), DType::f32));
        c->broadcast(b, w - 1)->wait();
        CHECK(on_cpu(b).data_ptr<float>()[n - 1] == static_cast<float>(w - 1 + 5));

        Tensor a = native::full({n}, -1.0, DType::f32);
        const auto [lo, hi] = distributed::shard_range(n, w, r);
        for (std::int64_t i = lo; i < hi; ++i) a.data_ptr<float>()[i] = static_cast<float>(r);
        Tensor ag = on_gpu(a);
        c->allgather(ag)->wait();
        Tensor ab = on_cpu(ag);
        wrong = 0;
        for (int q = 0; q < w; ++q) {
            const auto [qb, qe] = distributed::shard_range(n, w, q);
            for (std::int64_t i = qb; i < qe; ++i) wrong += ab.data_ptr<float>()[i] != static_cast<float>(q);
        }
        CHECK_MESSAGE(wrong == 0, "allgather n=", n);

        Tensor rs = on_gpu(native::full({n}, static_cast<double>(r + 1), DType::f32));
        c->reduce_scatter(rs, distributed::ReduceOp::avg)->wait();
        CHECK(on_cpu(rs).data_ptr<float>()[lo] == static_cast<float>((w + 1) / 2.0));
    }
    c->barrier();
}

TEST_CASE("NCCL: DistributedDataParallel averages a CUDA model's gradients") {
    PESO_REQUIRE_GPU();
    auto c = nccl();
    manual_seed(3);
    nn::Linear ref(4, 3);
    manual_seed(3);
    nn::Linear lin(4, 3);
    lin.to(c->device());
    nn::DistributedDataParallel ddp(lin, c);
    Generator g(5);
    const Tensor x = native::randn({2 * c->world_size(), 4}, DType::f32, &g);
    const Tensor mine = native::narrow(x, 0, 2 * c->rank(), 2);
    mean(ref.forward(x) * ref.forward(x)).backward();
    const Tensor y = lin.forward(on_gpu(mine));
    mean(y * y).backward();
    const Tensor got = on_cpu(lin.weight.grad()), want = ref.weight.grad();
    for (std::int64_t i = 0; i < want.numel(); ++i)
        CHECK(got.data_ptr<float>()[i] == doctest::Approx(want.data_ptr<float>()[i]).epsilon(1e-5));
}
#else
TEST_CASE("NCCL: not built") { std::puts("test_nccl: skipped (peso was built without NCCL)"); }
#endif
