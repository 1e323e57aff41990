#pragma once
// The machine's memory bandwidth as the generation figures use it: STREAM's
// triad (a[i] = b[i] + s * c[i], counted as 3 x 8 bytes per element moved)
// over arrays far larger than the caches, on the threads the benchmark runs
// with, measured in the same run. Token-by-token generation at batch 1 reads
// every weight once per token, so weight bytes x tokens/s over this figure is
// the fraction of the bandwidth ceiling it reaches.
#include <omp.h>

#include <cstdint>
#include <vector>

#include "bench/timing.h"

namespace peso::bench {

// Bytes per second, the median of interleaved runs.
inline double measure_triad_bandwidth(std::int64_t n = 32 << 20, double min_seconds = 2.0) {
    std::vector<double> a(static_cast<std::size_t>(n)), b(a.size()), c(a.size());
    // First touch by the threads that will use the pages.
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
        a[i] = 0.0;
        b[i] = 1.0 + static_cast<double>(i % 7);
        c[i] = 2.0 - static_cast<double>(i % 5);
    }
    const double s = 0.5;
    const auto triad = [&] {
#pragma omp parallel for schedule(static)
        for (std::int64_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
    };
    const double t = median_seconds_interleaved({triad}, 5, min_seconds)[0];
    return 3.0 * 8.0 * static_cast<double>(n) / t;
}

}  // namespace peso::bench
