#pragma once
// The CPU backend's one threading runtime: OpenMP (OpenBLAS and oneDNN are the
// OpenMP builds too, so BLAS calls and our loops share one pool of threads).
#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace peso::cpu {

// Below this many elements of simple work a loop runs on the calling thread:
// waking the pool costs more than it saves.
inline constexpr std::int64_t kParallelGrain = 32768;

// Runs fn(begin, end) over [0, n) split into one contiguous chunk per thread.
template <typename Fn> void parallel_for(std::int64_t n, std::int64_t grain, Fn&& fn) {
    if (n <= 0) return;
    if (n <= grain || omp_in_parallel() || omp_get_max_threads() == 1) {
        fn(std::int64_t{0}, n);
        return;
    }
    const std::int64_t max_chunks = std::max<std::int64_t>(1, n / std::max<std::int64_t>(grain, 1));
    const int threads = static_cast<int>(std::min<std::int64_t>(omp_get_max_threads(), max_chunks));
#pragma omp parallel num_threads(threads)
    {
        const std::int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
        const std::int64_t chunk = (n + nt - 1) / nt;
        const std::int64_t begin = std::min(n, t * chunk), end = std::min(n, begin + chunk);
        if (begin < end) fn(begin, end);
    }
}

}  // namespace peso::cpu
