// A GPT on the emulated CUDA device: the same model on cuda and on the cpu
// gives the same loss and gradients, trains the same way under AdamW, and
// generates the same tokens — nn, autograd and the model run on cuda tensors
// with nothing above backends/ knowing which device they use.
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "models/gpt/generation.h"
#include "models/gpt/gpt.h"
#include "nn/optim/adam.h"
#include "peso.h"

using namespace peso;
using namespace peso::models;

namespace {

const Device kCuda = Device::cuda(0);

GptConfig tiny() {
    GptConfig c;
    c.n_layer = 2;
    c.n_head = 2;
    c.n_embd = 16;
    c.block_size = 8;
    c.vocab_size = 13;
    return c;
}

}  // namespace

TEST_CASE("cuda GPT: same loss and gradients as on the cpu, same AdamW trajectory, same greedy tokens") {
    Generator g1(5), g2(5);
    Gpt cpu_model(tiny(), &g1);
    Gpt cuda_model(tiny(), &g2);
    cuda_model.to(kCuda);
    // Named pairs, not structured bindings, wherever doctest's macros capture them: clang (16) cannot
    // capture a structured binding in a lambda under OpenMP.
    for (const auto& param : cuda_model.named_parameters())
        CHECK_MESSAGE(param.second.device() == kCuda, param.first);

    const Tensor seq = from_vector<std::int64_t>({1, 3, 5, 7, 9, 2, 4, 6, 8, 1, 3, 5, 7, 9, 2, 4, 6, 8}, Dims{2, 9});
    const Tensor x = seq.narrow(1, 0, 8), y = seq.narrow(1, 1, 8);
    const Tensor xc = x.to(kCuda), yc = y.to(kCuda);

    // One forward and backward: losses and every parameter's gradient agree.
    const auto out_cpu = cpu_model.forward(x, y);
    const auto out_cuda = cuda_model.forward(xc, yc);
    CHECK(out_cuda.logits.device() == kCuda);
    CHECK(out_cuda.loss.item<float>() == doctest::Approx(out_cpu.loss.item<float>()).epsilon(1e-5));
    out_cpu.loss.backward();
    out_cuda.loss.backward();
    std::map<std::string, Tensor> cpu_grads;
    for (const auto& [name, p] : cpu_model.named_parameters()) cpu_grads[name] = p.grad();
    int compared = 0;
    for (const auto& param : cuda_model.named_parameters()) {
        const std::string& name = param.first;
        const Tensor& p = param.second;
        CAPTURE(name);
        REQUIRE(p.grad().defined());
        CHECK(p.grad().device() == kCuda);
        CHECK(allclose(p.grad().to(Device::cpu()), cpu_grads.at(name), 1e-4, 1e-6));
        ++compared;
    }
    CHECK(compared == static_cast<int>(cpu_grads.size()));

    // Training steps: the two trajectories stay together.
    nn::optim::AdamW opt_cpu(cpu_model.optimizer_groups(0.1), {});
    nn::optim::AdamW opt_cuda(cuda_model.optimizer_groups(0.1), {});
    opt_cpu.set_lr(1e-2);
    opt_cuda.set_lr(1e-2);
    float loss_cpu = 0, loss_cuda = 0;
    for (int step = 0; step < 30; ++step) {
        for (auto [model, opt, in, target, loss] :
             {std::tuple{&cpu_model, &opt_cpu, x, y, &loss_cpu}, std::tuple{&cuda_model, &opt_cuda, xc, yc, &loss_cuda}}) {
            const auto out = model->forward(in, target);
            opt->zero_grad();
            out.loss.backward();
            opt->step();
            *loss = out.loss.item<float>();
        }
    }
    CHECK(loss_cuda < 1.0f);
    CHECK(loss_cuda == doctest::Approx(loss_cpu).epsilon(1e-3));

    SamplingOptions greedy;
    greedy.temperature = 0.0;
    greedy.max_new_tokens = 4;
    CHECK(generate(cuda_model, {1, 3, 5}, greedy) == generate(cpu_model, {1, 3, 5}, greedy));
}
