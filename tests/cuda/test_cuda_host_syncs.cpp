// How often a GPT training step on the emulated CUDA device makes the host
// wait for the device (tools/cuda_emu/host_syncs.h). On a GPU every such wait
// stops the CPU from queuing the next kernels while the GPU works. The count
// is one, the loss read: index bounds and class targets are checked on the
// device (tensor/device_checks.h) and clip_grad_norm_tensor_ keeps the norm
// there, so the CPU can queue a whole step ahead of the GPU.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "models/gpt/gpt.h"
#include "nn/clip_grad.h"
#include "nn/optim/adam.h"
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/launch.h"
#include "peso.h"
#include "tools/cuda_emu/host_syncs.h"

using namespace peso;
namespace emu = peso::cuda::emu;

namespace {

const Device kCuda = Device::cuda(0);


// PESO_CUDA_SYNC=1 adds a wait after every launch: counted without it.
struct NoLaunchSync {
    const bool was = cuda::sync_launches();
    NoLaunchSync() { cuda::set_sync_launches(false); }
    ~NoLaunchSync() { cuda::set_sync_launches(was); }
};

// With PESO_CUDA_ALLOC=direct every free is a cudaFree, which waits for the
// device: the counts below are those of the caching allocator.
bool caching_allocator_on() {
    if (cuda::cuda_backend(0).caching_allocator().caching()) return true;
    MESSAGE("skipped: PESO_CUDA_ALLOC=direct makes every free a cudaFree, which waits for the device");
    return false;
}

template <class F>
emu::HostSyncs syncs_of(F f) {
    const emu::HostSyncs before = emu::host_syncs();
    f();
    return emu::host_syncs() - before;
}

}  // namespace

TEST_CASE("cuda host syncs: the counter sees reads and nothing else") {
    if (!caching_allocator_on()) return;
    const NoLaunchSync no_sync;
    const Tensor x = ones({4, 5}, TensorOptions(kCuda));
    CHECK(syncs_of([&] { (void)add(mul(x, 2.0), x).sum({1}); }).total() == 0);  // kernels only queue
    CHECK(syncs_of([&] { (void)x.sum().item<float>(); }).total() == 1);          // the host reads a value
    const emu::HostSyncs read = syncs_of([&] { (void)x.to(Device::cpu()); });
    CHECK(read.total() == 1);
    CHECK(read.stream == 1);
}

TEST_CASE("cuda host syncs: a GPT training step") {
    if (!caching_allocator_on()) return;
    const NoLaunchSync no_sync;
    models::GptConfig c;
    c.n_layer = 2;
    c.n_head = 2;
    c.n_embd = 16;
    c.block_size = 8;
    c.vocab_size = 13;
    Generator gen(3);
    models::Gpt model(c, &gen);
    model.to(kCuda);
    const Tensor data = randint(0, c.vocab_size, {2, 9}, TensorOptions(DType::i64), &gen).to(kCuda);
    const Tensor x = data.narrow(1, 0, 8), y = data.narrow(1, 1, 8);
    nn::optim::AdamW opt(model.optimizer_groups(0.1), {});
    std::vector<Tensor> params;
    for (const auto& [name, p] : model.named_parameters()) params.push_back(p);
    float loss = 0;
    emu::HostSyncs phase[5];
    const auto step = [&] {
        models::GptOutput out;
        phase[0] = syncs_of([&] { out = model.forward(x, y); });
        phase[1] = syncs_of([&] {
            opt.zero_grad();
            out.loss.backward();
        });
        phase[2] = syncs_of([&] { (void)nn::clip_grad_norm_tensor_(params, 1.0); });
        phase[3] = syncs_of([&] { opt.step(); });
        phase[4] = syncs_of([&] { loss = out.loss.item<float>(); });
    };
    step();  // the allocator's first segments: cudaMalloc, not a step's cost
    const emu::HostSyncs one = syncs_of(step);
    MESSAGE("host synchronisations in one GPT training step: ", one.str(), " for ", params.size(),
            " parameters; forward ", phase[0].total(), ", backward ", phase[1].total(), ", clip_grad_norm_ ",
            phase[2].total(), ", AdamW step ", phase[3].total(), ", loss read ", phase[4].total());
    // Before the checks moved to the device: forward 4 (the embeddings' index
    // bounds, cross_entropy's targets twice), backward 2 (index_add's bounds),
    // clip_grad_norm_ 1 (the norm as a double): 8 with the loss read.
    CHECK(phase[0].total() == 0);
    CHECK(phase[1].total() == 0);
    CHECK(phase[2].total() == 0);
    CHECK(phase[3].total() == 0);
    CHECK(phase[4].total() == 1);
    CHECK(one.free == 0);  // the caching allocator frees nothing in a steady step
    CHECK(std::isfinite(loss));
    CHECK(one.total() == 1);
    CHECK(one.stream == 1);  // the one wait is the loss's device-to-host read
}

TEST_CASE("cuda host syncs: clip_grad_norm_tensor_ clips as clip_grad_norm_ does, without a read") {
    const NoLaunchSync no_sync;
    for (const double norm_type : {2.0, 1.0, 3.0, nn::kInfNorm}) {
        for (const double max_norm : {0.5, 1e6}) {  // clipping, and a coefficient of 1
            CAPTURE(norm_type);
            CAPTURE(max_norm);
            Generator gen(11);
            std::vector<Tensor> host, device;
            for (const Dims& shape : {Dims{7, 5}, Dims{13}, Dims{3, 2, 4}}) {
                Tensor p = zeros(shape).requires_grad_();
                p.set_grad(randn(shape, {}, &gen));
                host.push_back(p);
                Tensor q = zeros(shape, TensorOptions(kCuda)).requires_grad_();
                q.set_grad(p.grad().to(kCuda));
                device.push_back(q);
            }
            const double expected = nn::clip_grad_norm_(host, max_norm, norm_type);
            Tensor norm;
            CHECK(syncs_of([&] { norm = nn::clip_grad_norm_tensor_(device, max_norm, norm_type); }).total() == 0);
            CHECK(norm.device() == kCuda);
            CHECK(norm.item<double>() == doctest::Approx(expected).epsilon(1e-12));
            for (std::size_t i = 0; i < host.size(); ++i)
                CHECK(allclose(device[i].grad().to(Device::cpu()), host[i].grad(), 1e-6, 1e-7));
        }
    }
    // NaN in a gradient: the norm is NaN and so is every clipped gradient, as on the host.
    Tensor p = zeros({3}, TensorOptions(kCuda)).requires_grad_();
    p.set_grad(from_vector<float>({1.0f, NAN, 2.0f}).to(kCuda));
    CHECK(std::isnan(nn::clip_grad_norm_tensor_({p}, 1.0).item<double>()));
    CHECK(std::isnan(p.grad().to(Device::cpu()).data_ptr<float>()[0]));
}
