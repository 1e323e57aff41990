#include "distributed/communicator.h"

#include "core/error.h"
#include "tensor/native.h"

namespace peso::distributed {

namespace {

class DoneWork final : public Work {
public:
    void wait() override {}
    bool completed() const override { return true; }
};

}  // namespace

WorkPtr completed_work() { return std::make_shared<DoneWork>(); }

std::pair<std::int64_t, std::int64_t> shard_range(std::int64_t n, int world, int rank) {
    PESO_CHECK(world > 0 && rank >= 0 && rank < world, ValueError, "shard_range: rank {} of world size {}", rank,
               world);
    const std::int64_t base = n / world, extra = n % world;
    const std::int64_t begin = rank * base + std::min<std::int64_t>(rank, extra);
    return {begin, begin + base + (rank < extra ? 1 : 0)};
}

void via_device(Communicator& comm, Tensor& cpu, const std::function<WorkPtr(Tensor&)>& op) {
    if (comm.device().is_cpu()) {
        op(cpu)->wait();
        return;
    }
    Tensor d = native::to_device(cpu, comm.device());
    op(d)->wait();
    native::copy_(cpu, d);
}

void check_collective_arg(const std::string& where, const Tensor& t, bool reduction, ReduceOp op, bool cuda_wanted) {
    PESO_CHECK(t.defined(), ValueError, "{}: undefined tensor", where);
    PESO_CHECK(t.is_contiguous(), ValueError,
               "{}: the tensor of shape {} must be contiguous (collectives work in place)", where, t.sizes());
    PESO_CHECK(t.device().is_cuda() == cuda_wanted, DeviceError, "{}: tensor on {}, this communicator takes {} tensors",
               where, t.device().str(), cuda_wanted ? "CUDA" : "CPU");
    if (!reduction) return;
    const DType d = t.dtype();
    const bool floating = d == DType::f32 || d == DType::f64;
    PESO_CHECK(floating || d == DType::i32 || d == DType::i64, DTypeError,
               "{}: reductions take float32, float64, int32 or int64 tensors, got {}", where, d);
    PESO_CHECK(floating || op == ReduceOp::sum, DTypeError, "{}: avg needs a floating dtype, got {}", where, d);
}

}  // namespace peso::distributed
