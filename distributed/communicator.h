#pragma once
// Communicator: the collectives data-parallel training needs, over an existing
// engine (OpenMPI between processes, NCCL between GPUs, or nothing at all for
// one process). Every operation works in place on a contiguous tensor, is
// issued in the same order on every rank (as MPI and NCCL require), and
// returns a Work handle at once, so that communication runs while the caller
// keeps computing (DistributedDataParallel launches gradient buckets during
// backward and waits for them only at its end).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "tensor/tensor.h"

namespace peso::distributed {

enum class ReduceOp { sum, avg };

// A collective in flight. wait() returns once the tensor holds the result.
class Work {
public:
    virtual ~Work() = default;
    virtual void wait() = 0;
    virtual bool completed() const = 0;
};
using WorkPtr = std::shared_ptr<Work>;

// A Work that was finished when it was created (world size 1, empty tensors).
WorkPtr completed_work();

// The part of n elements that rank `rank` of `world` owns in allgather and
// reduce_scatter: contiguous, in rank order, the first n % world ranks one
// element more ([begin, end) offsets into the flattened tensor).
std::pair<std::int64_t, std::int64_t> shard_range(std::int64_t n, int world, int rank);

class Communicator {
public:
    virtual ~Communicator() = default;
    Communicator() = default;
    Communicator(const Communicator&) = delete;
    Communicator& operator=(const Communicator&) = delete;

    virtual int rank() const = 0;
    virtual int world_size() const = 0;
    virtual std::string backend_name() const = 0;  // "single", "mpi", "nccl"
    // Where the tensors it moves must live (the single-process one takes any).
    virtual Device device() const { return Device::cpu(); }

    // t = sum (or mean) of every rank's t. Floating dtypes, plus int32/int64 for sum.
    virtual WorkPtr allreduce(Tensor& t, ReduceOp op = ReduceOp::sum) = 0;
    // t = root's t, any dtype.
    virtual WorkPtr broadcast(Tensor& t, int root = 0) = 0;
    // On entry each rank's shard_range of t holds its part; on return every
    // rank holds all parts. Any dtype.
    virtual WorkPtr allgather(Tensor& t) = 0;
    // On return this rank's shard_range of t holds the sum (or mean) over the
    // ranks of that range; the rest of t is unspecified.
    virtual WorkPtr reduce_scatter(Tensor& t, ReduceOp op = ReduceOp::sum) = 0;
    // Returns once every rank has called it.
    virtual void barrier() = 0;
};

// Blocking shorthands.
inline void allreduce(Communicator& c, Tensor& t, ReduceOp op = ReduceOp::sum) { c.allreduce(t, op)->wait(); }
inline void broadcast(Communicator& c, Tensor& t, int root = 0) { c.broadcast(t, root)->wait(); }

// Runs the collective `op` on a small CPU tensor (counts, flags, a loss) and
// waits for it, through a copy on the communicator's device when that is not
// the CPU (NCCL moves CUDA tensors only).
void via_device(Communicator& comm, Tensor& cpu, const std::function<WorkPtr(Tensor&)>& op);

// Checks what every communicator requires of a tensor: defined, contiguous,
// on `device_kind` ("cpu" or "cuda"), a dtype the operation supports
// (reductions: float32/float64/int32/int64, and avg only on floating ones).
void check_collective_arg(const std::string& where, const Tensor& t, bool reduction, ReduceOp op,
                          bool cuda_wanted);

}  // namespace peso::distributed
