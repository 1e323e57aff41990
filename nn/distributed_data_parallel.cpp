#include "nn/distributed_data_parallel.h"

#include <chrono>
#include <functional>
#include <map>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "tensor/native.h"

namespace peso::nn {

using distributed::Communicator;
using distributed::ReduceOp;
using distributed::WorkPtr;

namespace {

// One rank's parameter list as numbers: per parameter its dtype, rank and sizes.
std::vector<std::int64_t> signature(const NamedTensors& params) {
    std::vector<std::int64_t> sig;
    for (const auto& [name, p] : params) {
        sig.push_back(static_cast<std::int64_t>(p.dtype()));
        sig.push_back(p.dim());
        for (std::int64_t d : p.sizes()) sig.push_back(d);
    }
    return sig;
}

// Every rank's `mine` (same length everywhere), rank after rank.
std::vector<std::int64_t> allgather_ints(Communicator& comm, const std::vector<std::int64_t>& mine) {
    const auto n = static_cast<std::int64_t>(mine.size());
    Tensor all = native::zeros({n * comm.world_size()}, DType::i64);
    std::copy(mine.begin(), mine.end(), all.data_ptr<std::int64_t>() + n * comm.rank());
    distributed::via_device(comm, all, [&](Tensor& t) { return comm.allgather(t); });
    return {all.data_ptr<std::int64_t>(), all.data_ptr<std::int64_t>() + all.numel()};
}

std::string shape_at(const std::vector<std::int64_t>& sig, std::size_t& i) {
    const std::int64_t ndim = sig[i + 1];
    std::string s = "(";
    for (std::int64_t k = 0; k < ndim; ++k) s += (k ? ", " : "") + std::to_string(sig[i + 2 + k]);
    i += 2 + static_cast<std::size_t>(ndim);
    return s + (ndim == 1 ? ",)" : ")");
}

// Throws, on every rank alike, when some rank's parameters differ from rank 0's.
void check_same_parameters(Communicator& comm, const NamedTensors& params) {
    const std::vector<std::int64_t> sig = signature(params);
    const auto counts = allgather_ints(comm, {static_cast<std::int64_t>(params.size()),
                                              static_cast<std::int64_t>(sig.size())});
    for (int r = 1; r < comm.world_size(); ++r) {
        PESO_CHECK(counts[2 * r] == counts[0], ValueError,
                   "DistributedDataParallel: rank {} has {} parameters, rank 0 has {} (every rank must build the same "
                   "model)",
                   r, counts[2 * r], counts[0]);
    }
    const bool same_length = [&] {
        for (int r = 1; r < comm.world_size(); ++r)
            if (counts[2 * r + 1] != counts[1]) return false;
        return true;
    }();
    // Same count but different ranks of tensors: compare as far as the shorter signature goes.
    const auto all = allgather_ints(comm, same_length ? sig : std::vector<std::int64_t>{});
    if (!same_length) {
        throw ValueError("DistributedDataParallel: the ranks' parameters differ in number of dimensions (every rank "
                         "must build the same model)");
    }
    const std::size_t n = sig.size();
    for (int r = 1; r < comm.world_size(); ++r) {
        std::size_t i = 0, j = r * n;
        for (const auto& [name, p] : params) {
            const std::size_t i0 = i, j0 = j;
            const std::string a = shape_at(all, i), b = shape_at(all, j);
            PESO_CHECK(a == b && all[i0] == all[j0], ValueError,
                       "DistributedDataParallel: parameter '{}' has shape {} ({}) on rank 0 but {} ({}) on rank {}",
                       name, a, static_cast<DType>(all[i0]), b, static_cast<DType>(all[j0]), r);
        }
    }
}

}  // namespace

struct DistributedDataParallel::Reducer {
    struct Bucket {
        std::vector<std::size_t> params;  // indices into Reducer::params
        Tensor flat;
        std::size_t pending = 0;
        WorkPtr work;
    };

    std::shared_ptr<Communicator> comm;
    std::vector<Tensor> params;
    std::vector<std::size_t> bucket_of, offset_of;
    std::vector<Bucket> buckets;
    std::vector<char> ready;
    std::size_t next_launch = 0;
    bool sync = true, finishing_queued = false;
    double wait_s = 0;

    Tensor slice(std::size_t i) const {
        const Bucket& b = buckets[bucket_of[i]];
        return native::view(native::narrow(b.flat, 0, static_cast<std::int64_t>(offset_of[i]), params[i].numel()),
                            params[i].sizes());
    }

    void build(double cap_mb) {
        const auto cap = static_cast<std::int64_t>(cap_mb * 1024 * 1024);
        bucket_of.assign(params.size(), 0);
        offset_of.assign(params.size(), 0);
        // Reverse order: the last layers' gradients arrive first in backward.
        std::int64_t bytes = 0, numel = 0;
        auto close = [&] {
            if (buckets.empty() || buckets.back().params.empty()) return;
            const Tensor& p0 = params[buckets.back().params.front()];
            buckets.back().flat = native::zeros({numel}, p0.options());
        };
        for (std::size_t k = params.size(); k-- > 0;) {
            const Tensor& p = params[k];
            // A bucket is one flat tensor: one dtype, one device.
            const bool fits = !buckets.empty() && bytes < cap &&
                              params[buckets.back().params.front()].dtype() == p.dtype() &&
                              params[buckets.back().params.front()].device() == p.device();
            if (!fits) {
                close();
                buckets.emplace_back();
                bytes = numel = 0;
            }
            bucket_of[k] = buckets.size() - 1;
            offset_of[k] = static_cast<std::size_t>(numel);
            buckets.back().params.push_back(k);
            numel += p.numel();
            bytes += static_cast<std::int64_t>(p.nbytes());
        }
        close();
        ready.assign(params.size(), 0);
        reset();
    }

    void reset() {
        for (Bucket& b : buckets) {
            b.pending = b.params.size();
            b.work.reset();
        }
        std::fill(ready.begin(), ready.end(), 0);
        next_launch = 0;
        finishing_queued = false;
    }

    // Buckets start in index order on every rank, as the collectives must.
    void launch_ready() {
        while (next_launch < buckets.size() && buckets[next_launch].pending == 0) {
            Bucket& b = buckets[next_launch++];
            b.work = comm->allreduce(b.flat, ReduceOp::avg);
        }
    }

    void on_gradient(std::size_t i, std::weak_ptr<Reducer> self) {
        if (!sync) return;
        if (!finishing_queued) {
            finishing_queued = true;
            autograd::queue_callback([self] {
                if (auto r = self.lock()) r->finish();
            });
        }
        PESO_CHECK(!ready[i], Error, "DistributedDataParallel: parameter {} received two gradients in one backward", i);
        NoGradGuard g;
        become_bucket_view(i, params[i].grad());
        ready[i] = 1;
        --buckets[bucket_of[i]].pending;
        launch_ready();
    }

    // The gradient moves into its bucket and .grad() becomes a view of it
    // (PyTorch's gradient_as_bucket_view): the average lands in .grad() with
    // no copy back. A gradient that already is the view (accumulated in
    // place) stays.
    void become_bucket_view(std::size_t i, const Tensor& grad) {
        Tensor s = slice(i);
        if (grad.defined() && grad.data_ptr() == s.data_ptr()) return;
        if (grad.defined()) native::copy_(s, grad);
        else native::fill_(s, 0.0);
        if (grad.defined()) params[i].set_grad(s);
    }

    // At the end of backward: parameters without a gradient this time count
    // as their local .grad() (from no_sync steps) or zero; then every average
    // is waited for.
    void finish() {
        NoGradGuard g;
        const auto compute_done = std::chrono::steady_clock::now();
        Tensor used = native::zeros({static_cast<std::int64_t>(params.size())}, DType::f32);
        for (std::size_t i = 0; i < params.size(); ++i) {
            used.data_ptr<float>()[i] = ready[i] || params[i].grad().defined() ? 1.0f : 0.0f;
            if (ready[i]) continue;
            become_bucket_view(i, params[i].grad());
            ready[i] = 1;
            --buckets[bucket_of[i]].pending;
        }
        launch_ready();
        distributed::via_device(*comm, used, [&](Tensor& t) { return comm->allreduce(t, ReduceOp::sum); });
        for (Bucket& b : buckets) b.work->wait();
        wait_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - compute_done).count();
        // Unused here but used elsewhere: the average is its gradient; unused everywhere: left as it was.
        for (std::size_t i = 0; i < params.size(); ++i)
            if (used.data_ptr<float>()[i] != 0.0f && !params[i].grad().defined()) params[i].set_grad(slice(i));
        reset();
    }
};

DistributedDataParallel::DistributedDataParallel(Module& module, std::shared_ptr<Communicator> comm,
                                                 DdpOptions options)
    : module_(module), comm_(std::move(comm)), reducer_(std::make_shared<Reducer>()) {
    PESO_CHECK(comm_ != nullptr, ValueError, "DistributedDataParallel: no communicator");
    PESO_CHECK(options.bucket_cap_mb > 0, ValueError, "DistributedDataParallel: bucket_cap_mb must be positive, got {}",
               options.bucket_cap_mb);
    NamedTensors named;
    for (const auto& [name, p] : module.named_parameters())
        if (p.requires_grad()) named.emplace_back(name, p);
    PESO_CHECK(!named.empty(), ValueError, "DistributedDataParallel: the module has no parameter that requires grad");
    check_same_parameters(*comm_, named);
    {
        NoGradGuard g;
        std::vector<WorkPtr> works;
        for (auto [name, t] : module.named_parameters()) works.push_back(comm_->broadcast(t, 0));
        for (auto [name, t] : module.named_buffers()) works.push_back(comm_->broadcast(t, 0));
        for (auto& w : works) w->wait();
    }
    Reducer& r = *reducer_;
    r.comm = comm_;
    for (const auto& [name, p] : named) r.params.push_back(p);
    r.build(options.bucket_cap_mb);
    std::weak_ptr<Reducer> weak = reducer_;
    for (std::size_t i = 0; i < r.params.size(); ++i)
        r.params[i].register_post_accumulate_grad_hook([weak, i](Tensor&) {
            if (auto self = weak.lock()) self->on_gradient(i, weak);
        });
}

DistributedDataParallel::~DistributedDataParallel() = default;

DistributedDataParallel::NoSync::NoSync(DistributedDataParallel& ddp) : ddp_(ddp), was_(ddp.reducer_->sync) {
    ddp_.reducer_->sync = false;
}
DistributedDataParallel::NoSync::~NoSync() { ddp_.reducer_->sync = was_; }

std::size_t DistributedDataParallel::num_buckets() const { return reducer_->buckets.size(); }
double DistributedDataParallel::last_wait_seconds() const { return reducer_->wait_s; }

}  // namespace peso::nn
