// peso_bench: throughput of the ops a GPT-2 training step spends its time in.
//
//   peso_bench [group...]     groups: matmul matmul_nt softmax layer_norm gelu add overhead
//                             (default: all of them)
//
// matmul prints GFLOP/s of peso::matmul beside raw cblas_sgemm (OpenBLAS) and
// dnnl_sgemm (oneDNN) on the same buffers, at GPT-2 124M shapes with M = 256
// tokens and at square 1024 / 2048; matmul_nt repeats the GPT-2 shapes with
// the weight stored (N, K) and used transposed, as nn.Linear stores it. The
// other groups print GB/s (bytes read + written, once each) and the per-call
// overhead of a 1-element add. Every figure is a median of repeated runs.
// Run with the thread count and environment you want measured, e.g.
//   env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=2 ./peso_bench
#include <cblas.h>
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "backends/cpu/gemm.h"
#include "bench/timing.h"
#include "peso.h"
#include "tensor/mixed_precision.h"

namespace {

using namespace peso;
using bench::median_seconds_interleaved;
using bench::median_seconds_per_call;

const std::vector<std::string> kGroups = {"matmul", "matmul_nt", "matmul_bf16", "softmax", "layer_norm", "gelu", "add",
                                          "overhead"};

std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string(fallback);
}

void print_environment() {
    const dnnl_version_t* v = dnnl_version();
    fmt::print("peso_bench: {} OpenMP threads, backend {}\n", omp_get_max_threads(), cpu_backend_name());
    fmt::print("OpenBLAS: {} (core {}); oneDNN {}.{}.{}\n", openblas_get_config(), openblas_get_corename(), v->major,
               v->minor, v->patch);
    fmt::print("env: OMP_NUM_THREADS={} OMP_PROC_BIND={} OPENBLAS_CORETYPE={} OPENBLAS_L2_SIZE={} PESO_GEMM={}\n\n",
               env_or("OMP_NUM_THREADS", "(unset)"), env_or("OMP_PROC_BIND", "(unset)"),
               env_or("OPENBLAS_CORETYPE", "(unset)"), env_or("OPENBLAS_L2_SIZE", "(unset)"),
               env_or("PESO_GEMM", "(unset)"));
}

struct GemmShape {
    std::int64_t m, k, n;
};

// peso::matmul against both raw GEMMs on the same data. With `weight_nk`
// the right operand is stored (N, K) and multiplied transposed.
void bench_matmul(const std::vector<GemmShape>& shapes, bool weight_nk) {
    fmt::print("{:<28} {:>9} {:>9} {:>9} {:>10}  {}\n", weight_nk ? "matmul x @ W.t() (GFLOP/s)" : "matmul (GFLOP/s)",
               "peso", "openblas", "onednn", "peso/best", "peso uses");
    for (const GemmShape& s : shapes) {
        Generator gen(1);
        const Tensor a = randn({s.m, s.k}, {}, &gen);
        const Tensor w = weight_nk ? randn({s.n, s.k}, {}, &gen) : randn({s.k, s.n}, {}, &gen);
        const Tensor b = weight_nk ? w.t() : w;
        Tensor c = empty({s.m, s.n});
        Tensor out;  // peso's result: assigning it to c would free the buffer pc points into
        const float* pa = a.data_ptr<float>();
        const float* pb = w.data_ptr<float>();
        float* pc = c.data_ptr<float>();
        const std::int64_t ldb = weight_nk ? s.k : s.n;
        const auto times = median_seconds_interleaved({
            [&] { out = matmul(a, b); },
            [&] {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, weight_nk ? CblasTrans : CblasNoTrans, static_cast<int>(s.m),
                            static_cast<int>(s.n), static_cast<int>(s.k), 1.0f, pa, static_cast<int>(s.k), pb,
                            static_cast<int>(ldb), 0.0f, pc, static_cast<int>(s.n));
            },
            [&] { dnnl_sgemm('N', weight_nk ? 'T' : 'N', s.m, s.n, s.k, 1.0f, pa, s.k, pb, ldb, 0.0f, pc, s.n); },
        });
        const double flops = 2.0 * static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k);
        const double peso = flops / times[0] * 1e-9, blas = flops / times[1] * 1e-9, dnnl = flops / times[2] * 1e-9;
        const std::string shape = weight_nk ? fmt::format("{}x{} @ ({}x{}).t()", s.m, s.k, s.n, s.k)
                                            : fmt::format("{}x{} @ {}x{}", s.m, s.k, s.k, s.n);
        const auto lib = cpu::choose_gemm_library(s.m, s.n, s.k, weight_nk, false);
        fmt::print("{:<28} {:>9.1f} {:>9.1f} {:>9.1f} {:>10.2f}  {}\n", shape, peso, blas, dnnl,
                   peso / std::max(blas, dnnl), cpu::gemm_library_name(lib));
    }
    fmt::print("\n");
}

// The products of mixed precision at GPT-2's shapes, x @ W.t() (W stored
// (N, K)): float32 peso::matmul against bf16 operands with a float32 result
// (native::matmul_as), and the price of rounding both operands to bf16 first,
// as peso::autocast does on every call.
void bench_matmul_bf16(const std::vector<GemmShape>& shapes) {
    fmt::print("{:<28} {:>9} {:>9} {:>9} {:>14} {:>10}\n", "x @ W.t() (GFLOP/s)", "fp32", "bf16", "bf16 KxN",
               "bf16+casts", "bf16/fp32");
    for (const GemmShape& s : shapes) {
        Generator gen(1);
        const Tensor a = randn({s.m, s.k}, {}, &gen), w = randn({s.n, s.k}, {}, &gen);
        const Tensor a16 = a.to(DType::bf16), w16 = w.to(DType::bf16), w16kn = w16.t().contiguous();
        Tensor out;
        const auto times = median_seconds_interleaved({
            [&] { out = matmul(a, w.t()); },
            [&] { out = native::matmul_as(a16, w16.t(), DType::f32); },
            [&] { out = native::matmul_as(a16, w16kn, DType::f32); },
            [&] { out = native::matmul_as(a.to(DType::bf16), w.to(DType::bf16).t(), DType::f32); },
        });
        const double flops = 2.0 * static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k);
        fmt::print("{:<28} {:>9.1f} {:>9.1f} {:>9.1f} {:>14.1f} {:>10.2f}\n",
                   fmt::format("{}x{} @ ({}x{}).t()", s.m, s.k, s.n, s.k), flops / times[0] * 1e-9,
                   flops / times[1] * 1e-9, flops / times[2] * 1e-9, flops / times[3] * 1e-9, times[0] / times[1]);
    }
    fmt::print("\n");
}

// GB/s of `op` on (256, C) float32 inputs, counting one read of x and one
// write of the output (layer_norm's weight, bias, mean and rstd are < 1%).
void bench_rowwise(const std::string& name, const std::function<Tensor(const Tensor&)>& op) {
    fmt::print("{:<28} {:>9} {:>12}\n", name + " (256, C)", "GB/s", "us/call");
    for (const std::int64_t c : {768, 3072, 50304}) {
        Generator gen(2);
        const Tensor x = randn({256, c}, {}, &gen);
        const std::string label = fmt::format("C = {}", c);
        try {
            Tensor out = op(x);
            const double t = median_seconds_per_call([&] { out = op(x); });
            const double bytes = 2.0 * static_cast<double>(x.nbytes());
            fmt::print("{:<28} {:>9.1f} {:>12.1f}\n", label, bytes / t * 1e-9, t * 1e6);
        } catch (const NotImplementedError& e) {
            fmt::print("{:<28} {:>9} {:>12}   ({})\n", label, "n/a", "n/a", e.what());
        }
    }
    fmt::print("\n");
}

void bench_add() {
    const std::int64_t n = std::int64_t{16} << 20;
    Generator gen(3);
    const Tensor a = randn({n}, {}, &gen), b = randn({n}, {}, &gen);
    Tensor c = add(a, b);
    const auto t = median_seconds_interleaved({[&] { c = add(a, b); }}, 21, 1.0)[0];
    const double bytes = 3.0 * static_cast<double>(a.nbytes());
    fmt::print("{:<28} {:>9} {:>12}\n", "add (16M float32)", "GB/s", "ms/call");
    fmt::print("{:<28} {:>9.1f} {:>12.2f}\n\n", "a + b (3 arrays counted)", bytes / t * 1e-9, t * 1e3);
}

void bench_overhead() {
    const Tensor a = ones({1}), b = ones({1});
    Tensor c;
    const double t = median_seconds_per_call([&] { c = add(a, b); });
    fmt::print("{:<28} {:>9}\n", "per-op overhead", "ns/op");
    fmt::print("{:<28} {:>9.0f}\n\n", "add of 1-element tensors", t * 1e9);
}

std::set<std::string> selected_groups(int argc, char** argv) {
    std::set<std::string> groups;
    for (int i = 1; i < argc; ++i) {
        const std::string g = argv[i];
        if (std::find(kGroups.begin(), kGroups.end(), g) == kGroups.end()) {
            fmt::print(stderr, "peso_bench: unknown group '{}' (groups: {})\n", g, fmt::join(kGroups, " "));
            std::exit(2);
        }
        groups.insert(g);
    }
    if (groups.empty()) groups.insert(kGroups.begin(), kGroups.end());
    return groups;
}

}  // namespace

int main(int argc, char** argv) {
    const std::set<std::string> groups = selected_groups(argc, argv);
    print_environment();
    const std::vector<GemmShape> gpt2 = {{256, 768, 2304}, {256, 768, 3072}, {256, 3072, 768}, {256, 768, 50304}};
    if (groups.count("matmul")) {
        std::vector<GemmShape> shapes = gpt2;
        shapes.push_back({1024, 1024, 1024});
        shapes.push_back({2048, 2048, 2048});
        bench_matmul(shapes, false);
    }
    if (groups.count("matmul_nt")) bench_matmul(gpt2, true);
    if (groups.count("matmul_bf16")) bench_matmul_bf16(gpt2);
    if (groups.count("softmax")) bench_rowwise("softmax", [](const Tensor& x) { return softmax(x, -1); });
    if (groups.count("layer_norm")) {
        bench_rowwise("layer_norm", [](const Tensor& x) {
            const std::int64_t c = x.size(-1);
            static Tensor w, b;
            if (!w.defined() || w.size(0) != c) { w = ones({c}); b = zeros({c}); }
            return std::get<0>(layer_norm(x, {c}, w, b));
        });
    }
    if (groups.count("gelu")) bench_rowwise("gelu", [](const Tensor& x) { return gelu(x); });
    if (groups.count("add")) bench_add();
    if (groups.count("overhead")) bench_overhead();
    return 0;
}
