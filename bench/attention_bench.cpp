// peso_attention_bench: the fused causal attention against the machine's
// sgemm peak, and against the composite attention it replaced.
//
// One run measures, interleaved (one run of each per round, medians):
//   - the sgemm peak (bench/sgemm_peak.h);
//   - fused attention, forward alone and forward + backward, at B=1, H=12,
//     T=1024, head 64, causal (GPT-2 124M's attention at its full context);
//   - the composite (matmul, mask, softmax, matmul) on the same inputs.
// FLOPs count the causal pairs only (i >= j: T(T+1)/2 per head): the forward
// is 4 * D * pairs per head (q k^T and p v), the backward 2.5 times the
// forward (FlashAttention's convention: five products, the scores recomputed
// among them). Run: peso_attention_bench [--seq T] [--heads H] [--batch B] [--rounds N]
#include <fmt/format.h>
#include <omp.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>

#include "bench/sgemm_peak.h"
#include "bench/timing.h"
#include "nn/scaled_dot_product_attention.h"
#include "peso.h"

using namespace peso;
namespace F = peso::nn::functional;

int main(int argc, char** argv) {
    std::int64_t B = 1, H = 12, T = 1024, D = 64;
    int rounds = 7;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--seq") == 0) T = std::atoll(argv[i + 1]);
        else if (std::strcmp(argv[i], "--heads") == 0) H = std::atoll(argv[i + 1]);
        else if (std::strcmp(argv[i], "--batch") == 0) B = std::atoll(argv[i + 1]);
        else if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::atoi(argv[i + 1]);
    }
    fmt::print("peso_attention_bench: {} OpenMP threads, B={} H={} T={} head {} causal\n", omp_get_max_threads(), B, H,
               T, D);
    const bench::SgemmPeak peak = bench::measure_sgemm_peak();
    fmt::print("sgemm peak {}^3: oneDNN {:.1f}, OpenBLAS {:.1f} GFLOP/s -> {:.1f} ({})\n", peak.n, peak.onednn,
               peak.openblas, peak.best(), peak.best_library());

    manual_seed(1);
    const Tensor q = randn({B, H, T, D}).requires_grad_(), k = randn({B, H, T, D}).requires_grad_(),
                 v = randn({B, H, T, D}).requires_grad_(), g = randn({B, H, T, D});
    const auto forward = [&](bool fused) {
        return [&, fused] {
            NoGradGuard ng;
            F::set_fused_attention_enabled(fused);
            F::scaled_dot_product_attention(q, k, v, {}, 0.0, true);
        };
    };
    const auto step = [&](bool fused) {
        return [&, fused] {
            F::set_fused_attention_enabled(fused);
            const Tensor out = F::scaled_dot_product_attention(q, k, v, {}, 0.0, true);
            autograd::backward({out}, {g});
            for (const Tensor* t : {&q, &k, &v}) t->set_grad(Tensor());
        };
    };
    const std::vector<double> s =
        bench::median_seconds_interleaved({forward(true), step(true), forward(false), step(false)}, rounds, 3.0);
    const double pairs = static_cast<double>(B * H) * static_cast<double>(T) * static_cast<double>(T + 1) / 2;
    const double fwd_flops = 4.0 * static_cast<double>(D) * pairs, step_flops = 3.5 * fwd_flops;
    const auto line = [&](const char* what, double sec, double flops) {
        fmt::print("{:<36} {:9.2f} ms {:8.1f} GFLOP/s {:6.1f}% of peak\n", what, sec * 1e3, flops / sec / 1e9,
                   100.0 * flops / sec / 1e9 / peak.best());
    };
    line("fused forward", s[0], fwd_flops);
    line("fused forward + backward", s[1], step_flops);
    line("composite forward", s[2], fwd_flops);
    line("composite forward + backward", s[3], step_flops);
}
