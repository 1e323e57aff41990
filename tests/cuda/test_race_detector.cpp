// The emulator's race detectors (tools/cuda_emu/race_detector.h): kernels
// that are wrong on purpose — a missing __syncthreads, a missing __syncwarp,
// two blocks writing one word, a non-atomic += shared by threads — are each
// reported, in every thread order, naming both threads and both source lines;
// correct kernels with barriers, warp collectives, atomics and two-pass
// reductions are not.
#include <doctest/doctest.h>

#include <numeric>
#include <string>
#include <vector>

#include "backends/cuda/check.h"
#include "backends/cuda/cuda_compat.h"
#include "backends/cuda/launch.h"
#include "peso.h"
#include "tools/cuda_emu/async_streams.h"

namespace race_fixtures {

constexpr unsigned full_mask = 0xffffffffu;

// ---- wrong on purpose ------------------------------------------------------------------

// Each thread reads the value its right neighbour wrote, with no barrier between.
__global__ void missing_syncthreads(const int* in, int* out) {
    PESO_SHARED(int[256], staged);
    const int t = static_cast<int>(threadIdx.x);
    staged[t] = in[t];
    out[t] = staged[(t + 1) % static_cast<int>(blockDim.x)];
}

// Lanes of one warp exchange values through shared memory with no __syncwarp.
__global__ void missing_syncwarp(const int* in, int* out) {
    PESO_SHARED(int[32], staged);
    const int lane = static_cast<int>(threadIdx.x);
    staged[lane] = in[lane];
    out[lane] = staged[lane ^ 1];
}

// Two half-warps each synchronize only themselves, then read the other half's values.
__global__ void half_warps_unsynchronized(int* out) {
    PESO_SHARED(int[32], staged);
    const int lane = static_cast<int>(threadIdx.x);
    staged[lane] = lane;
    __syncwarp(lane < 16 ? 0x0000ffffu : 0xffff0000u);
    out[lane] = staged[(lane + 16) % 32];
}

// Thread 0 of every block writes the same word.
__global__ void blocks_write_one_word(int* out) {
    if (threadIdx.x == 0) out[0] = static_cast<int>(blockIdx.x);
}

// Block 1 reads the word that block 0 writes.
__global__ void block_reads_other_block(int* data, int* out) {
    if (threadIdx.x != 0) return;
    if (blockIdx.x == 0) data[0] = 42;
    if (blockIdx.x == 1) out[0] = data[0];
}

// A counter incremented without atomics by several threads.
__global__ void plain_increment(int* counter) { *counter += 1; }

// The same on dynamic shared memory, then published by thread 0.
__global__ void plain_increment_shared(int* out) {
    int* counter = peso::cuda::dynamic_shared<int>();
    if (threadIdx.x == 0) *counter = 0;
    __syncthreads();
    *counter += 1;
    __syncthreads();
    if (threadIdx.x == 0) *out = *counter;
}

// Two block sums in a row through one scratch array, as a row kernel computes
// a mean and then a variance. Without the barrier on entry, a warp's second
// sum may overwrite scratch[0] before every thread has read the first: a race
// that no thread order of the emulator shows, since every thread reads
// scratch[0] before its first shuffle, and lane 0 writes only after the last one.
__global__ void two_block_sums(const float* in, float* out, bool entry_barrier) {
    PESO_SHARED(float[32], scratch);
    const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    float sums[2];
    for (int pass = 0; pass < 2; ++pass) {
        if (entry_barrier) __syncthreads();
        float v = in[threadIdx.x] * static_cast<float>(pass + 1);
        for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(full_mask, v, offset);
        if (lane == 0) scratch[warp] = v;
        __syncthreads();
        if (warp == 0) {
            float w = lane < blockDim.x / 32 ? scratch[lane] : 0.0f;
            for (int offset = 16; offset > 0; offset /= 2) w += __shfl_down_sync(full_mask, w, offset);
            if (lane == 0) scratch[0] = w;
        }
        __syncthreads();
        sums[pass] = scratch[0];
    }
    out[threadIdx.x] = sums[0] + sums[1];
}

// ---- correct ---------------------------------------------------------------------------

// A tree sum in shared memory with a barrier at every level, then a warp-shuffle finish.
__global__ void block_reduce(const float* in, float* out, int n) {
    PESO_SHARED(float[256], partial);
    const int t = static_cast<int>(threadIdx.x);
    const int i = static_cast<int>(blockIdx.x * blockDim.x) + t;
    partial[t] = i < n ? in[i] : 0.0f;
    __syncthreads();
    for (int stride = static_cast<int>(blockDim.x) / 2; stride >= 32; stride /= 2) {
        if (t < stride) partial[t] += partial[t + stride];
        __syncthreads();
    }
    if (t < 32) {
        float v = partial[t];
        for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(full_mask, v, offset);
        if (t == 0) out[blockIdx.x] = v;
    }
}

// Lanes exchange through shared memory with __syncwarp between the writes and
// the reads, and again before the next round's writes; then every lane reads
// one slot that lane 0 overwrites after a __syncwarp.
__global__ void syncwarp_exchange(const int* in, int* out) {
    PESO_SHARED(int[32], staged);
    const int lane = static_cast<int>(threadIdx.x);
    int v = in[lane];
    for (int round = 0; round < 3; ++round) {
        staged[lane] = v;
        __syncwarp();
        v += staged[lane ^ (1 << round)];
        __syncwarp();
    }
    const int first = staged[0];
    __syncwarp();
    if (lane == 0) staged[0] = first + 1;
    if (lane < 2) {
        __syncwarp(0x00000003u);
        v += staged[0];
    }
    out[lane] = v;
}

// Half-warps that exchange only among themselves.
__global__ void half_warps_synchronized(int* out) {
    PESO_SHARED(int[32], staged);
    const int lane = static_cast<int>(threadIdx.x);
    const unsigned half = lane < 16 ? 0x0000ffffu : 0xffff0000u;
    staged[lane] = lane;
    __syncwarp(half);
    out[lane] = staged[(lane ^ 1)];
}

// Every thread adds to one global counter and to a shared one, atomically.
__global__ void atomic_counts(int* counter, float* sum) {
    PESO_SHARED(int, local);
    if (threadIdx.x == 0) local = 0;
    __syncthreads();
    atomicAdd(&local, 1);
    atomicAdd(sum, 0.5f);
    __syncthreads();
    if (threadIdx.x == 0) atomicAdd(counter, local);
}

// The second pass of a two-pass reduction: one block sums the first pass's partials.
__global__ void sum_partials(const float* partials, float* out, int n) {
    if (threadIdx.x != 0) return;
    float total = 0.0f;
    for (int i = 0; i < n; ++i) total += partials[i];
    *out = total;
}

}  // namespace race_fixtures

namespace {

namespace fx = race_fixtures;
namespace emu = peso::cuda::emu;
using peso::cuda::launch;

template <class T>
class DeviceBuffer {
public:
    explicit DeviceBuffer(std::vector<T> host) : count_(host.size()) {
        PESO_CUDA_CHECK(cudaMalloc(&data_, count_ * sizeof(T)));
        PESO_CUDA_CHECK(cudaMemcpy(data_, host.data(), count_ * sizeof(T), cudaMemcpyHostToDevice));
    }
    ~DeviceBuffer() { cudaFree(data_); }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
    T* get() const { return data_; }
    std::vector<T> to_host() const {
        std::vector<T> host(count_);
        PESO_CUDA_CHECK(cudaMemcpy(host.data(), data_, count_ * sizeof(T), cudaMemcpyDeviceToHost));
        return host;
    }

private:
    std::size_t count_;
    T* data_ = nullptr;
};

template <class T>
std::vector<T> zeros(std::size_t n) {
    return std::vector<T>(n, T(0));
}

std::vector<int> iota_ints(int n) {
    std::vector<int> v(static_cast<std::size_t>(n));
    std::iota(v.begin(), v.end(), 1);
    return v;
}

bool detectors_available() {
    if (emu::race_check_available()) return true;
    MESSAGE("skipped: the race detectors are unavailable in this build (no -fsanitize=thread instrumentation, "
            "e.g. the AddressSanitizer build)");
    return false;
}

// Runs `body` in forward, reverse and two random thread orders with the detectors on.
template <class Fn>
void for_each_order(Fn body) {
    const emu::RaceCheckGuard on(true);
    // Launches run at the call (not queued, as the cuda label's asynchronous
    // stream mode would), so that each report comes from its own launch.
    const emu::AsyncModeGuard synchronous(false);
    struct Setting {
        emu::ThreadOrder order;
        std::uint64_t seed;
    };
    for (const Setting s : {Setting{emu::ThreadOrder::forward, 0}, Setting{emu::ThreadOrder::reverse, 0},
                            Setting{emu::ThreadOrder::random, 1}, Setting{emu::ThreadOrder::random, 2024}}) {
        const emu::ThreadOrderGuard guard(s.order, s.seed);
        CAPTURE(emu::describe_thread_order());
        body();
    }
}

// The report of the launch `run` makes, or "" when it makes none.
template <class Fn>
std::string race_report(Fn run) {
    try {
        run();
    } catch (const emu::KernelError& e) {
        return e.what();
    }
    return "";
}

std::size_t count_of(const std::string& text, const std::string& part) {
    std::size_t count = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
    return count;
}

// Both accesses' source lines (in this file) and two threads are named.
void check_names_both_sides(const std::string& report) {
    CHECK(count_of(report, "test_race_detector.cpp:") >= 2);
    CHECK(count_of(report, "thread (") >= 2);
}

}  // namespace

TEST_CASE("race detector: a missing __syncthreads between a shared write and another thread's read") {
    if (!detectors_available()) return;
    const DeviceBuffer<int> in(iota_ints(64)), out(zeros<int>(64));
    for_each_order([&] {
        const std::string report = race_report([&] { launch(fx::missing_syncthreads, 1, 64, 0, nullptr, in.get(), out.get()); });
        INFO(report);
        CHECK(report.find("data race on shared memory") != std::string::npos);
        CHECK(report.find("the shared variable declared at test_race_detector.cpp") != std::string::npos);
        CHECK(report.find("in the same barrier interval (before the block's first __syncthreads), with no __syncthreads") !=
              std::string::npos);
        CHECK(report.find("kernel race_fixtures::missing_syncthreads") != std::string::npos);
        check_names_both_sides(report);
    });
}

TEST_CASE("race detector: lanes of a warp exchanging through shared memory without __syncwarp") {
    if (!detectors_available()) return;
    const DeviceBuffer<int> in(iota_ints(32)), out(zeros<int>(32));
    for_each_order([&] {
        const std::string report = race_report([&] { launch(fx::missing_syncwarp, 1, 32, 0, nullptr, in.get(), out.get()); });
        INFO(report);
        CHECK(report.find("data race on shared memory") != std::string::npos);
        CHECK(report.find("nor a __syncwarp or other warp collective that both lanes take part in") != std::string::npos);
        check_names_both_sides(report);
        const std::string halves =
            race_report([&] { launch(fx::half_warps_unsynchronized, 1, 32, 0, nullptr, out.get()); });
        CHECK(halves.find("data race on shared memory") != std::string::npos);
    });
}

TEST_CASE("race detector: two blocks writing one global word, and a block reading another's write") {
    if (!detectors_available()) return;
    const DeviceBuffer<int> data(zeros<int>(4)), out(zeros<int>(4));
    for_each_order([&] {
        const std::string report = race_report([&] { launch(fx::blocks_write_one_word, 3, 32, 0, nullptr, out.get()); });
        INFO(report);
        CHECK(report.find("data race on global memory") != std::string::npos);
        CHECK(report.find("writes 4 bytes at byte 0 of the device allocation") != std::string::npos);
        CHECK(report.find("in another block of the same launch") != std::string::npos);
        CHECK(report.find("of block (") != std::string::npos);
        check_names_both_sides(report);
        const std::string read =
            race_report([&] { launch(fx::block_reads_other_block, 2, 32, 0, nullptr, data.get(), out.get()); });
        INFO(read);
        CHECK(read.find("data race on global memory") != std::string::npos);
        CHECK(count_of(read, "test_race_detector.cpp:") >= 2);
    });
}

TEST_CASE("race detector: a non-atomic += shared by threads, in global and in dynamic shared memory") {
    if (!detectors_available()) return;
    const DeviceBuffer<int> counter(zeros<int>(1));
    for_each_order([&] {
        // Two threads of one warp, two warps, and two blocks of one thread each.
        for (const auto& [grid, block] : {std::pair{1, 2}, std::pair{1, 64}, std::pair{2, 1}}) {
            const std::string report =
                race_report([&] { launch(fx::plain_increment, grid, block, 0, nullptr, counter.get()); });
            INFO(report);
            CHECK(report.find("data race on global memory") != std::string::npos);
            check_names_both_sides(report);
        }
        const std::string shared =
            race_report([&] { launch(fx::plain_increment_shared, 1, 64, sizeof(int), nullptr, counter.get()); });
        INFO(shared);
        CHECK(shared.find("data race on shared memory") != std::string::npos);
        CHECK(shared.find("byte 0 of the dynamic shared memory") != std::string::npos);
    });
}

TEST_CASE("race detector: a reused scratch array without its entry barrier, which no thread order shows") {
    if (!detectors_available()) return;
    const DeviceBuffer<float> in(std::vector<float>(256, 1.0f)), out(zeros<float>(256));
    {
        const emu::RaceCheckGuard off(false);
        for (const emu::ThreadOrder order : {emu::ThreadOrder::forward, emu::ThreadOrder::reverse}) {
            const emu::ThreadOrderGuard guard(order);
            launch(fx::two_block_sums, 1, 256, 0, nullptr, in.get(), out.get(), false);
            CHECK(out.to_host() == std::vector<float>(256, 256.0f + 512.0f));
        }
    }
    for_each_order([&] {
        const std::string report =
            race_report([&] { launch(fx::two_block_sums, 1, 256, 0, nullptr, in.get(), out.get(), false); });
        INFO(report);
        CHECK(report.find("data race on shared memory") != std::string::npos);
        check_names_both_sides(report);
        CHECK(race_report([&] { launch(fx::two_block_sums, 1, 256, 0, nullptr, in.get(), out.get(), true); }) == "");
        CHECK(out.to_host() == std::vector<float>(256, 256.0f + 512.0f));
    });
}

TEST_CASE("race detector: correct kernels are not reported, and give the right results") {
    if (!detectors_available()) return;
    const int blocks = 5;
    std::vector<float> values(blocks * 256);
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i % 7);
    const DeviceBuffer<float> in(values), partials(zeros<float>(blocks)), total(zeros<float>(1));
    const DeviceBuffer<int> ints(iota_ints(32)), out(zeros<int>(32)), counter(zeros<int>(1));
    const DeviceBuffer<float> sum(zeros<float>(1));
    for_each_order([&] {
        // A two-pass reduction: block sums, then their sum in a second launch.
        launch(fx::block_reduce, blocks, 256, 0, nullptr, in.get(), partials.get(), static_cast<int>(values.size()));
        launch(fx::sum_partials, 1, 32, 0, nullptr, partials.get(), total.get(), blocks);
        CHECK(total.to_host()[0] == std::accumulate(values.begin(), values.end(), 0.0f));

        launch(fx::syncwarp_exchange, 1, 32, 0, nullptr, ints.get(), out.get());
        const std::vector<int> exchanged = out.to_host();
        // Lanes 0..7 hold 1..8 (sum 36); staged[0] last held lane 0's sum over lanes 0..3 (10), which lane 0
        // replaced by 11 for lanes 0 and 1 to add.
        CHECK(exchanged[0] == 36 + 11);
        CHECK(exchanged[1] == 36 + 11);
        CHECK(exchanged[2] == 36);
        CHECK(exchanged[31] == 25 + 26 + 27 + 28 + 29 + 30 + 31 + 32);

        launch(fx::half_warps_synchronized, 1, 32, 0, nullptr, out.get());
        CHECK(out.to_host()[5] == 4);

        PESO_CUDA_CHECK(cudaMemset(counter.get(), 0, sizeof(int)));
        PESO_CUDA_CHECK(cudaMemset(sum.get(), 0, sizeof(float)));
        launch(fx::atomic_counts, 3, 96, 0, nullptr, counter.get(), sum.get());
        CHECK(counter.to_host()[0] == 3 * 96);
        CHECK(sum.to_host()[0] == 0.5f * 3 * 96);
    });
}

TEST_CASE("race detector: off unless asked for") {
    if (!detectors_available()) return;
    const emu::RaceCheckGuard off(false);
    const DeviceBuffer<int> counter(zeros<int>(1));
    CHECK_NOTHROW(launch(fx::plain_increment, 2, 64, 0, nullptr, counter.get()));
}

TEST_CASE("race detector: the backend's kernels are instrumented and checked") {
    if (!detectors_available()) return;
    const emu::RaceCheckGuard on(true);
    const peso::Tensor x = peso::ones({64, 64}).to(peso::Device::cuda(0));
    const std::uint64_t before = emu::race_checked_accesses();
    const std::vector<float> total = x.sum().to(peso::Device::cpu()).contiguous().to_vector<float>();
    CHECK(total.at(0) == 4096.0f);
    CHECK(emu::race_checked_accesses() - before >= 4096);  // at least every element read once
}
