#pragma once
// Timing helpers for peso_bench: medians of repeated runs, so that one
// preempted run on a shared machine does not move the figure.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

namespace peso::bench {

inline double now_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Median seconds of each function, measured round-robin (one run of each per
// round) so that slow phases of a shared machine hit all of them alike.
// Runs at least `min_rounds` rounds and until `min_seconds` have passed.
inline std::vector<double> median_seconds_interleaved(const std::vector<std::function<void()>>& fns,
                                                      int min_rounds = 7, double min_seconds = 1.0,
                                                      int max_rounds = 200) {
    for (const auto& f : fns) f();  // warm-up: JIT kernels, caches, allocator
    std::vector<std::vector<double>> times(fns.size());
    const double start = now_seconds();
    for (int round = 0; round < max_rounds; ++round) {
        if (round >= min_rounds && now_seconds() - start >= min_seconds) break;
        for (std::size_t i = 0; i < fns.size(); ++i) {
            const double t0 = now_seconds();
            fns[i]();
            times[i].push_back(now_seconds() - t0);
        }
    }
    std::vector<double> out;
    for (auto& t : times) out.push_back(median(std::move(t)));
    return out;
}

// Median seconds per call of a fast function: calls are timed in batches long
// enough for the clock, and the median batch is divided by its size.
inline double median_seconds_per_call(const std::function<void()>& fn, double batch_seconds = 2e-3,
                                      int batches = 31) {
    fn();
    std::int64_t per_batch = 1;
    for (;;) {  // grow the batch until it lasts batch_seconds
        const double t0 = now_seconds();
        for (std::int64_t i = 0; i < per_batch; ++i) fn();
        if (now_seconds() - t0 >= batch_seconds || per_batch >= (std::int64_t{1} << 24)) break;
        per_batch *= 2;
    }
    std::vector<double> t;
    for (int b = 0; b < batches; ++b) {
        const double t0 = now_seconds();
        for (std::int64_t i = 0; i < per_batch; ++i) fn();
        t.push_back((now_seconds() - t0) / static_cast<double>(per_batch));
    }
    return median(std::move(t));
}

}  // namespace peso::bench
