#pragma once
// The machine's float32 GEMM peak as the MFU figures use it: GFLOP/s of the
// faster of oneDNN's and OpenBLAS's sgemm on one large square product, on the
// threads the benchmark runs with, measured in the same run as the workload
// it is compared with (the VM's speed changes with its neighbours' load).
#include <cstdint>
#include <string>
#include <vector>

#include "backends/cpu/gemm.h"
#include "bench/timing.h"

namespace peso::bench {

struct SgemmPeak {
    std::int64_t n = 0;
    double onednn = 0, openblas = 0;  // GFLOP/s, median of interleaved runs
    double best() const { return onednn > openblas ? onednn : openblas; }
    const char* best_library() const { return onednn > openblas ? "oneDNN" : "OpenBLAS"; }
};

inline SgemmPeak measure_sgemm_peak(std::int64_t n = 2048, double min_seconds = 3.0) {
    std::vector<float> a(static_cast<std::size_t>(n * n)), b(a.size()), c(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        a[i] = static_cast<float>((i * 7 % 13) - 6) * 0.01f;
        b[i] = static_cast<float>((i * 5 % 11) - 5) * 0.01f;
    }
    const auto run = [&](cpu::GemmLibrary lib) {
        return [&, lib] {
            cpu::gemm(lib, n, n, n, {a.data(), n, false}, {b.data(), n, false}, c.data(), n);
        };
    };
    const std::vector<double> t =
        median_seconds_interleaved({run(cpu::GemmLibrary::onednn), run(cpu::GemmLibrary::openblas)}, 5, min_seconds);
    const double flops = 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n);
    return {n, flops / t[0] / 1e9, flops / t[1] / 1e9};
}

}  // namespace peso::bench
