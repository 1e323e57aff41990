#pragma once
// DistributedDataParallel: PyTorch DDP's gradient averaging for a module that
// every rank holds a replica of. At construction it checks that all ranks hold
// the same parameter shapes and copies rank 0's parameters and buffers to the
// others. Then every backward() averages the gradients over the ranks: they
// are packed into buckets of about bucket_cap_mb, in reverse parameter order
// (the order backward produces them), and each bucket's average is launched
// from the post-accumulate hooks as soon as its last gradient arrives, so that
// communication runs while backward still computes; backward() returns once
// every average is in .grad(). After the first synchronized backward each
// .grad() is a view of its bucket (PyTorch's gradient_as_bucket_view), so
// the averages need no copy back.
//
// The module is used as it is (call its own forward); DDP only attaches to it.
// Parameters that got no gradient in a backward on some rank count as zero
// there; a parameter no rank used keeps its .grad() as it was. Inside
// no_sync() gradients accumulate locally; the next backward outside it
// averages the accumulated sums (gradient accumulation).
#include <memory>

#include "distributed/communicator.h"
#include "nn/module.h"

namespace peso::nn {

struct DdpOptions {
    double bucket_cap_mb = 25;
};

class DistributedDataParallel {
public:
    DistributedDataParallel(Module& module, std::shared_ptr<distributed::Communicator> comm, DdpOptions options = {});
    ~DistributedDataParallel();
    DistributedDataParallel(const DistributedDataParallel&) = delete;
    DistributedDataParallel& operator=(const DistributedDataParallel&) = delete;

    Module& module() { return module_; }
    distributed::Communicator& communicator() { return *comm_; }

    // While the guard lives, backward() leaves gradients local.
    class NoSync {
    public:
        ~NoSync();
        NoSync(const NoSync&) = delete;
        NoSync& operator=(const NoSync&) = delete;

    private:
        friend class DistributedDataParallel;
        explicit NoSync(DistributedDataParallel& ddp);
        DistributedDataParallel& ddp_;
        bool was_;
    };
    NoSync no_sync() { return NoSync(*this); }

    std::size_t num_buckets() const;
    // Seconds the last synchronized backward() spent, after its own
    // computation, waiting for averages still in flight: the communication
    // that did not overlap with backward.
    double last_wait_seconds() const;

private:
    struct Reducer;
    Module& module_;
    std::shared_ptr<distributed::Communicator> comm_;
    std::shared_ptr<Reducer> reducer_;  // the hooks hold it weakly
};

}  // namespace peso::nn
