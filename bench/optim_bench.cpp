// peso_optim_bench: GB/s of the optimizer step on GPT-2 124M's parameters.
//
//   peso_optim_bench
//
// Builds GPT-2 124M's 148 parameter tensors (124,439,808 float32 values;
// weight decay on the matrices only, as nanoGPT groups them), gives them
// random gradients, and times:
//   - AdamW.step() through the optimizer (every parameter, one fused pass each),
//   - the fused AdamW loop on one 124M-element tensor,
//   - SGD with momentum .step(),
//   - a += 0.5 * b over 124M floats: the machine's streaming bandwidth.
// Bytes count each array once per pass: AdamW reads p, g, m, v and writes
// p, m, v (28 bytes per float32 parameter); SGD with momentum reads p, g,
// buf and writes p, buf (20 bytes); a += 0.5 * b 12 bytes. Each figure is a
// median of repeated runs. Run with the environment you want measured, e.g.
//   env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=2 ./peso_optim_bench
#include <omp.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "backends/cpu/parallel.h"
#include "bench/timing.h"
#include "nn/optim/adam.h"
#include "nn/optim/fused_adam.h"
#include "nn/optim/sgd.h"
#include "peso.h"

namespace {

using namespace peso;
using namespace peso::nn::optim;
using bench::median_seconds_interleaved;

std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string(fallback);
}

// GPT-2 124M (n_layer 12, n_embd 768, vocab 50257, context 1024) in
// named_parameters order; lm_head shares wte.
std::vector<Dims> gpt2_124m_shapes() {
    const std::int64_t C = 768;
    std::vector<Dims> s = {{50257, C}, {1024, C}};
    for (int layer = 0; layer < 12; ++layer) {
        const std::vector<Dims> block = {{C},        {C},     {3 * C, C}, {3 * C}, {C, C}, {C},
                                         {C},        {C},     {4 * C, C}, {4 * C}, {C, 4 * C}, {C}};
        s.insert(s.end(), block.begin(), block.end());
    }
    s.push_back({C});
    s.push_back({C});
    return s;
}

struct Params {
    std::vector<Tensor> decay, no_decay;
    std::int64_t count = 0;
};

Params make_params() {
    Params out;
    Generator gen(1);
    for (const Dims& shape : gpt2_124m_shapes()) {
        Tensor p = randn(shape, {}, &gen).mul_(0.02).requires_grad_();
        p.set_grad(randn(shape, {}, &gen).mul_(1e-3));
        out.count += p.numel();
        (p.dim() >= 2 ? out.decay : out.no_decay).push_back(p);
    }
    return out;
}

// The machine's streaming bandwidth, for scale: a read-modify-write pass
// over a with one more array read (no write-allocate of a fresh array).
void axpy(float* __restrict a, const float* __restrict b, std::int64_t n) {
    cpu::parallel_for(n, 1 << 16, [=](std::int64_t i0, std::int64_t i1) {
#pragma omp simd
        for (std::int64_t i = i0; i < i1; ++i) a[i] += 0.5f * b[i];
    });
}

void report(const std::string& what, double seconds, double bytes) {
    fmt::print("{:<44} {:>9.1f} {:>9.1f}\n", what, seconds * 1e3, bytes / seconds * 1e-9);
}

}  // namespace

int main() {
    fmt::print("peso_optim_bench: {} OpenMP threads\n", omp_get_max_threads());
    fmt::print("env: OMP_NUM_THREADS={} OMP_PROC_BIND={} OPENBLAS_CORETYPE={} OPENBLAS_L2_SIZE={}\n\n",
               env_or("OMP_NUM_THREADS", "(unset)"), env_or("OMP_PROC_BIND", "(unset)"),
               env_or("OPENBLAS_CORETYPE", "(unset)"), env_or("OPENBLAS_L2_SIZE", "(unset)"));

    Params params = make_params();
    const double n = static_cast<double>(params.count);
    fmt::print("GPT-2 124M: {} parameters in {} tensors\n\n", params.count,
               params.decay.size() + params.no_decay.size());
    fmt::print("{:<44} {:>9} {:>9}\n", "float32", "ms/step", "GB/s");

    {
        AdamW adamw(std::vector<ParamGroup>{{params.decay, {{"weight_decay", 0.1}}},
                                            {params.no_decay, {{"weight_decay", 0.0}}}},
                    {.lr = 6e-4, .beta1 = 0.9, .beta2 = 0.95});
        const double t = median_seconds_interleaved({[&] { adamw.step(); }}, 7, 2.0)[0];
        report("AdamW.step() (28 bytes/param)", t, 28.0 * n);
    }
    {
        const std::int64_t count = params.count;
        Generator gen(2);
        Tensor p = randn({count}, {}, &gen), g = randn({count}, {}, &gen);
        Tensor m = zeros({count}), v = zeros({count});
        const double t = median_seconds_interleaved({[&] {
                                                        adam_update_fused(p, g, m, v,
                                                                          AdamCoefficients::at_step(
                                                                              10, 6e-4, 0.9, 0.95, 1e-8, 0.1, true,
                                                                              false));
                                                    }},
                                                    7, 2.0)[0];
        report("fused AdamW loop, one 124M tensor", t, 28.0 * n);
    }
    {
        SGD sgd(std::vector<ParamGroup>{{params.decay, {}}, {params.no_decay, {}}}, {.lr = 0.01, .momentum = 0.9});
        const double t = median_seconds_interleaved({[&] { sgd.step(); }}, 7, 2.0)[0];
        report("SGD(momentum=0.9).step() (20 bytes/param)", t, 20.0 * n);
    }
    {
        const std::int64_t count = params.count;
        Generator gen(3);
        Tensor a = randn({count}, {}, &gen), b = randn({count}, {}, &gen);
        const double t = median_seconds_interleaved({[&] { axpy(a.data_ptr<float>(), b.data_ptr<float>(), count); }},
                                                    7, 2.0)[0];
        report("a += 0.5 * b (12 bytes/element)", t, 12.0 * n);
    }
    return 0;
}
