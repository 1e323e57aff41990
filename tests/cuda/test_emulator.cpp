// The CUDA emulator: kernels written in CUDA C++ (test_kernels.cuh) run on the
// CPU and must match plain loops under every thread order; kernels that are
// wrong on purpose must be reported, not silently computed.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "tests/cuda/test_kernels.cuh"
#include "tools/cuda_emu/device_limits.h"

namespace {

namespace tk = peso::cuda::test_kernels;
namespace emu = peso::cuda::emu;
using peso::cuda::launch;

// Device memory holding a copy of a host vector, freed at scope exit.
template <class T>
class DeviceBuffer {
public:
    explicit DeviceBuffer(std::size_t count) : count_(count) {
        PESO_CUDA_CHECK(cudaMalloc(&data_, count * sizeof(T)));
    }
    explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) {
        PESO_CUDA_CHECK(cudaMemcpy(data_, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice));
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
    T* data_ = nullptr;
    std::size_t count_;
};

// Small integers, so that float sums are exact whatever the order of addition.
template <class T>
std::vector<T> sample_values(std::size_t count, int modulus = 17, int offset = -8) {
    std::vector<T> values(count);
    std::uint32_t state = 12345;
    for (auto& v : values) {
        state = state * 1664525u + 1013904223u;
        v = static_cast<T>(static_cast<int>((state >> 16) % static_cast<std::uint32_t>(modulus)) + offset);
    }
    return values;
}

template <class T>
std::vector<T> block_sums(const std::vector<T>& values, int threads) {
    std::vector<T> sums((values.size() + threads - 1) / threads, T(0));
    for (std::size_t i = 0; i < values.size(); ++i) sums[i / threads] += values[i];
    return sums;
}

// Runs `check` under forward, reverse and random orders (two seeds).
template <class Fn>
void for_each_order(Fn check) {
    struct Setting {
        emu::ThreadOrder order;
        std::uint64_t seed;
    };
    for (const Setting s : {Setting{emu::ThreadOrder::forward, 0}, Setting{emu::ThreadOrder::reverse, 0},
                            Setting{emu::ThreadOrder::random, 1}, Setting{emu::ThreadOrder::random, 2024}}) {
        const emu::ThreadOrderGuard guard(s.order, s.seed);
        INFO("thread order: " << emu::describe_thread_order());
        check();
    }
}

// The KernelError a launch throws, as text ("" when it throws none).
template <class Fn>
std::string kernel_error_of(Fn launch_it) {
    try {
        launch_it();
        // In the asynchronous stream mode (PESO_EMU_ASYNC=1) the kernel runs,
        // and its error is reported, when the host waits for it.
        (void)cudaDeviceSynchronize();
    } catch (const emu::KernelError& e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("a block-wide shared-memory sum matches a loop under every thread order") {
    for (const int threads : {32, 64, 256, 1024}) {
        for (const int n : {1, 1000, 4096}) {
            INFO("threads " << threads << ", n " << n);
            const auto f = sample_values<float>(n);
            const auto d = sample_values<double>(n);
            const auto i = sample_values<int>(n);
            const DeviceBuffer<float> f_in(f);
            const DeviceBuffer<double> d_in(d);
            const DeviceBuffer<int> i_in(i);
            const std::size_t blocks = (n + threads - 1) / threads;
            const DeviceBuffer<float> f_out(blocks);
            const DeviceBuffer<double> d_out(blocks);
            const DeviceBuffer<int> i_out(blocks);
            for_each_order([&] {
                tk::launch_block_sum(f_in.get(), f_out.get(), n, threads);
                tk::launch_block_sum(d_in.get(), d_out.get(), n, threads);
                tk::launch_block_sum(i_in.get(), i_out.get(), n, threads);
                CHECK(f_out.to_host() == block_sums(f, threads));
                CHECK(d_out.to_host() == block_sums(d, threads));
                CHECK(i_out.to_host() == block_sums(i, threads));
            });
        }
    }
}

TEST_CASE("a warp-shuffle sum matches a loop under every thread order") {
    for (const int threads : {32, 96, 256, 1024}) {
        const int n = 3000;
        INFO("threads " << threads);
        const auto values = sample_values<float>(n);
        const auto ints = sample_values<int>(n);
        const DeviceBuffer<float> in(values);
        const DeviceBuffer<int> int_in(ints);
        const std::size_t blocks = (n + threads - 1) / threads;
        const DeviceBuffer<float> out(blocks);
        const DeviceBuffer<int> int_out(blocks);
        for_each_order([&] {
            tk::launch_warp_shuffle_sum(in.get(), out.get(), n, threads);
            tk::launch_warp_shuffle_sum(int_in.get(), int_out.get(), n, threads);
            CHECK(out.to_host() == block_sums(values, threads));
            CHECK(int_out.to_host() == block_sums(ints, threads));
        });
    }
}

TEST_CASE("warp scans, butterflies, broadcasts and votes follow CUDA's lane rules") {
    const int n = 256;
    const auto values = sample_values<int>(n, 9, -4);  // -4..4, zeros included
    const DeviceBuffer<int> in(values);

    std::vector<int> scan(n);
    for (int i = 0; i < n; ++i) scan[i] = values[i] + (i % 32 == 0 ? 0 : scan[i - 1]);

    const auto segment_max = [&](int width) {
        std::vector<int> out(n);
        for (int i = 0; i < n; ++i) {
            const int first = i / width * width;
            out[i] = *std::max_element(values.begin() + first, values.begin() + first + width);
        }
        return out;
    };
    const auto segment_lane3 = [&](int width) {
        std::vector<double> out(n);
        for (int i = 0; i < n; ++i) out[i] = values[i / width * width + 3] * 0.5;
        return out;
    };

    std::vector<unsigned> ballots(n / 32, 0);
    std::vector<int> any_negative(n / 32, 0), all_nonzero(n / 32, 1), sums(n / 32, 0), minima(n / 32, 1000);
    std::vector<unsigned> ors(n / 32, 0);
    for (int i = 0; i < n; ++i) {
        const int w = i / 32;
        if (values[i] > 0) ballots[w] |= 1u << (i % 32);
        if (values[i] < 0) any_negative[w] = 1;
        if (values[i] == 0) all_nonzero[w] = 0;
        sums[w] += values[i];
        minima[w] = std::min(minima[w], values[i]);
        ors[w] |= static_cast<unsigned>(values[i]) & 0xffu;
    }

    const DeviceBuffer<int> scan_out(n), max_out(n);
    const DeviceBuffer<double> broadcast_out(n);
    const DeviceBuffer<unsigned> ballot_out(n / 32), or_out(n / 32);
    const DeviceBuffer<int> any_out(n / 32), all_out(n / 32), sum_out(n / 32), min_out(n / 32);
    for_each_order([&] {
        launch(tk::warp_inclusive_scan, n / 128, 128, 0, nullptr, in.get(), scan_out.get(), n);
        CHECK(scan_out.to_host() == scan);
        launch(tk::segment_max_and_broadcast<8>, n / 64, 64, 0, nullptr, in.get(), max_out.get(), broadcast_out.get());
        CHECK(max_out.to_host() == segment_max(8));
        CHECK(broadcast_out.to_host() == segment_lane3(8));
        launch(tk::segment_max_and_broadcast<32>, n / 64, 64, 0, nullptr, in.get(), max_out.get(),
               broadcast_out.get());
        CHECK(max_out.to_host() == segment_max(32));
        CHECK(broadcast_out.to_host() == segment_lane3(32));
        launch(tk::warp_votes, n / 64, 64, 0, nullptr, in.get(), ballot_out.get(), any_out.get(), all_out.get());
        CHECK(ballot_out.to_host() == ballots);
        CHECK(any_out.to_host() == any_negative);
        CHECK(all_out.to_host() == all_nonzero);
        launch(tk::warp_reduce_intrinsics, n / 64, 64, 0, nullptr, in.get(), sum_out.get(), min_out.get(),
               or_out.get());
        CHECK(sum_out.to_host() == sums);
        CHECK(min_out.to_host() == minima);
        CHECK(or_out.to_host() == ors);
    });
}

TEST_CASE("__syncthreads_count, _and and _or combine the whole block's predicates") {
    std::vector<int> values(3 * 64, 1);
    values[64 + 10] = -1;  // block 1: one non-positive value
    for (int i = 128; i < 192; ++i) values[i] = i % 2 == 0 ? 0 : 5;  // block 2: half positive
    const DeviceBuffer<int> in(values);
    const DeviceBuffer<int> counts(3), all(3), any(3);
    for_each_order([&] {
        launch(tk::block_votes, 3, 64, 0, nullptr, in.get(), counts.get(), all.get(), any.get());
        CHECK(counts.to_host() == std::vector<int>{64, 63, 32});
        CHECK(all.to_host() == std::vector<int>{1, 0, 0});
        CHECK(any.to_host() == std::vector<int>{1, 1, 1});
    });
}

TEST_CASE("half precision from the toolkit's headers works in emulated kernels") {
    std::vector<float> values(32);
    std::iota(values.begin(), values.end(), 0.0f);
    std::vector<float> expected(32);
    for (int i = 0; i < 32; ++i) expected[i] = values[i] + values[i ^ 1];
    const DeviceBuffer<float> in(values), out(32);
    for_each_order([&] {
        launch(tk::half_pair_sums, 1, 32, 0, nullptr, in.get(), out.get());
        CHECK(out.to_host() == expected);
    });
}

TEST_CASE("a histogram built with shared and global atomicAdd matches a loop") {
    const int n = 10000;
    const auto values = sample_values<int>(n, 1000, 0);
    std::vector<unsigned> expected(tk::histogram_bins, 0);
    for (const int v : values) ++expected[v % tk::histogram_bins];
    const DeviceBuffer<int> in(values);
    const DeviceBuffer<unsigned> bins(tk::histogram_bins);
    for_each_order([&] {
        PESO_CUDA_CHECK(cudaMemset(bins.get(), 0, tk::histogram_bins * sizeof(unsigned)));
        launch(tk::histogram, 4, 128, 0, nullptr, in.get(), n, bins.get());  // grid-stride: ~20 trips per thread
        CHECK(bins.to_host() == expected);
    });
}

TEST_CASE("atomic max, min, add, CAS, inc and exch give the sequential results") {
    const int n = 777;
    const auto values = sample_values<int>(n, 2001, -1000);
    const int max_value = *std::max_element(values.begin(), values.end());
    const int min_value = *std::min_element(values.begin(), values.end());
    long long sum = 0;
    for (const int v : values) sum += v;
    for_each_order([&] {
        const DeviceBuffer<int> in(values);
        const tk::AtomicResults start{-2000000000, 2000000000, 0, 0.0f, 0.0, -1e30f, 0, -1};
        const DeviceBuffer<tk::AtomicResults> results(std::vector<tk::AtomicResults>{start});
        launch(tk::atomic_mix, (n + 127) / 128, 128, 0, nullptr, in.get(), n, results.get());
        const tk::AtomicResults r = results.to_host()[0];
        CHECK(r.max_value == max_value);
        CHECK(r.min_value == min_value);
        CHECK(static_cast<long long>(r.sum) == sum);
        CHECK(r.float_sum == static_cast<float>(sum));
        CHECK(r.double_sum == static_cast<double>(sum) * 0.5);
        CHECK(r.float_max == static_cast<float>(max_value) * 0.25f);
        CHECK(r.wrapped_counter == static_cast<unsigned>(n % 10));
        CHECK(r.last_writer >= 0);
        CHECK(r.last_writer < n);
    });
}

TEST_CASE("dynamic shared memory is per block and holds several arrays") {
    const int threads = 128;
    const int n = 4 * threads;
    std::vector<float> values(n);
    std::iota(values.begin(), values.end(), 0.5f);
    std::vector<float> expected(n);
    std::vector<int> expected_index(n);
    for (int i = 0; i < n; ++i) {
        expected_index[i] = i / threads * threads + (threads - 1 - i % threads);
        expected[i] = values[expected_index[i]];
    }
    const DeviceBuffer<float> in(values), out(n);
    const DeviceBuffer<int> index(n);
    for_each_order([&] {
        tk::launch_reverse_blocks(in.get(), out.get(), index.get(), n, threads);
        CHECK(out.to_host() == expected);
        CHECK(index.to_host() == expected_index);
    });
}

TEST_CASE("threadIdx, blockIdx, blockDim and gridDim cover a 3-D launch") {
    const dim3 grid(2, 3, 2);
    const dim3 block(8, 4, 2);
    const int total = 12 * 64;
    const DeviceBuffer<uint4> out(total);
    for_each_order([&] {
        launch(tk::write_coordinates, grid, block, 0, nullptr, out.get());
        const std::vector<uint4> coordinates = out.to_host();
        int i = 0;
        bool all_match = true;
        for (unsigned bz = 0; bz < 2; ++bz)
            for (unsigned by = 0; by < 3; ++by)
                for (unsigned bx = 0; bx < 2; ++bx)
                    for (unsigned tz = 0; tz < 2; ++tz)
                        for (unsigned ty = 0; ty < 4; ++ty)
                            for (unsigned tx = 0; tx < 8; ++tx, ++i) {
                                const uint4 c = coordinates[i];
                                all_match = all_match && c.x == tx + 10 * ty + 100 * tz &&
                                            c.y == bx + 10 * by + 100 * bz && c.z == 64 && c.w == 12;
                            }
        CHECK(all_match);
    });
}

TEST_CASE("a read-after-write race without a barrier shows up in reverse and random order") {
    // The thread orders alone: the race detector, which reports this kernel
    // in every order (test_race_detector.cpp), stays off.
    const emu::RaceCheckGuard detector_off(false);
    const int threads = 64;
    const int n = 2 * threads;
    std::vector<int> values(n);
    std::iota(values.begin(), values.end(), 1);
    std::vector<int> expected(n);
    for (int i = 0; i < n; ++i) expected[i] = i % threads == 0 ? 0 : values[i - 1];
    const DeviceBuffer<int> in(values), out(n);

    const auto run = [&](emu::ThreadOrder order) {
        const emu::ThreadOrderGuard guard(order, 7);
        launch(tk::shift_right_racy, n / threads, threads, 0, nullptr, in.get(), out.get());
        return out.to_host();
    };
    // In index order every neighbour has written before it is read: the race hides.
    CHECK(run(emu::ThreadOrder::forward) == expected);
    // Otherwise threads read shared memory their neighbours have not written yet.
    CHECK(run(emu::ThreadOrder::reverse) != expected);
    CHECK(run(emu::ThreadOrder::random) != expected);
    // A fresh block's shared memory is poisoned, not left over from the previous launch.
    const std::vector<int> reversed = run(emu::ThreadOrder::reverse);
    CHECK(reversed[1] == -1);  // 0xffffffff
}

TEST_CASE("barrier divergence is reported, naming the barrier and the threads") {
    const DeviceBuffer<int> out(64);
    for_each_order([&] {
        const std::string exited = kernel_error_of([&] { launch(tk::barrier_in_branch, 1, 64, 0, nullptr, out.get()); });
        CHECK(contains(exited, "barrier divergence"));
        CHECK(contains(exited, "32 of 64 threads wait at __syncthreads"));
        CHECK(contains(exited, "test_kernels.cuh"));
        CHECK(contains(exited, "exited without reaching it"));

        const std::string two_sites =
            kernel_error_of([&] { launch(tk::barriers_at_two_sites, 1, 64, 0, nullptr, out.get()); });
        CHECK(contains(two_sites, "barrier divergence"));
        CHECK(contains(two_sites, "but thread"));

        const std::string uneven =
            kernel_error_of([&] { launch(tk::barrier_in_uneven_loop, 1, 64, 0, nullptr, out.get()); });
        CHECK(contains(uneven, "barrier divergence"));
    });
}

TEST_CASE("error messages name the kernel, the launch site, the block and the thread order") {
    const DeviceBuffer<int> out(64);
    const emu::ThreadOrderGuard guard(emu::ThreadOrder::random, 99);
    const std::string message =
        kernel_error_of([&] { launch(tk::barrier_in_branch, dim3(2, 1, 1), 64, 0, nullptr, out.get()); });
    CHECK(contains(message, "peso::cuda::emulated::test_kernels::barrier_in_branch(int*)"));
    CHECK(contains(message, "test_emulator.cpp:"));
    CHECK(contains(message, "in block ("));
    CHECK(contains(message, "thread order random (seed 99)"));
    CHECK(contains(message, "grid (2,1,1), block (64,1,1)"));
}

TEST_CASE("warp collectives with mismatched masks are reported") {
    const std::vector<float> values(64, 1.0f);
    const DeviceBuffer<float> in(values), out(64);
    for_each_order([&] {
        const std::string mismatch =
            kernel_error_of([&] { launch(tk::mismatched_shuffle_masks, 1, 32, 0, nullptr, in.get(), out.get()); });
        CHECK(contains(mismatch, "mismatched warp collectives"));
        CHECK(contains(mismatch, "__shfl_xor_sync(mask 0xffffffff)"));
        CHECK(contains(mismatch, "__shfl_xor_sync(mask 0xfffffffe)"));

        const std::string not_self =
            kernel_error_of([&] { launch(tk::shuffle_mask_without_caller, 1, 32, 0, nullptr, in.get(), out.get()); });
        CHECK(contains(not_self, "does not name the calling lane"));

        const std::string deadlock =
            kernel_error_of([&] { launch(tk::shuffle_against_barrier, 1, 32, 0, nullptr, in.get(), out.get()); });
        CHECK(contains(deadlock, "warp collective deadlock"));
        CHECK(contains(deadlock, "waits at __syncthreads"));
    });
}

TEST_CASE("shuffles that read lanes outside the warp's threads get NaN, as a GPU leaves them undefined") {
    std::vector<float> values(48, 1.0f);
    const DeviceBuffer<float> in(values), out(2);
    for_each_order([&] {
        launch(tk::full_mask_sum_in_partial_warp, 1, 48, 0, nullptr, in.get(), out.get());
        const std::vector<float> sums = out.to_host();
        CHECK(sums[0] == 32.0f);           // a full warp
        CHECK(std::isnan(sums[1]));        // 16 threads: lanes 16..31 do not exist
    });
}

TEST_CASE("__trap and too much static shared memory stop the launch with a KernelError") {
    const DeviceBuffer<int> out(32);
    CHECK(contains(kernel_error_of([&] { launch(tk::calls_trap, 1, 32, 0, nullptr, out.get()); }),
                   "called __trap()"));
    const DeviceBuffer<float> fout(32);
    CHECK(contains(kernel_error_of([&] { launch(tk::too_much_static_shared, 1, 32, 0, nullptr, fout.get()); }),
                   "bytes of static shared memory"));
}

TEST_CASE("launches the CUDA runtime would reject throw DeviceError and run nothing") {
    std::vector<float> values(64, 0.0f);
    const DeviceBuffer<float> data(values);
    CHECK_THROWS_AS(launch(tk::add_one, 1, 1025, 0, nullptr, data.get(), 64), peso::DeviceError);
    CHECK_THROWS_AS(launch(tk::add_one, 1, dim3(1, 1, 65), 0, nullptr, data.get(), 64), peso::DeviceError);
    CHECK_THROWS_AS(launch(tk::add_one, 0, 64, 0, nullptr, data.get(), 64), peso::DeviceError);
    CHECK_THROWS_AS(launch(tk::add_one, dim3(1, 65536, 1), 64, 0, nullptr, data.get(), 64), peso::DeviceError);
    CHECK_THROWS_AS(launch(tk::add_one, 1, 64, 0, reinterpret_cast<cudaStream_t>(0x1234), data.get(), 64),
                    peso::DeviceError);
    CHECK(data.to_host() == values);  // none of them ran
    CHECK(cudaGetLastError() == cudaSuccess);  // launch() consumed the error

    // Dynamic shared memory beyond 48 KiB needs the kernel's opt-in first.
    const int threads = 64;
    const auto big = static_cast<std::size_t>(64 * 1024);
    std::vector<float> in_values(threads, 2.0f);
    const DeviceBuffer<float> in(in_values), out(threads);
    const DeviceBuffer<int> index(threads);
    CHECK_THROWS_AS(launch(tk::reverse_blocks, 1, threads, big, nullptr, in.get(), out.get(), index.get()),
                    peso::DeviceError);
    PESO_CUDA_CHECK(cudaFuncSetAttribute(tk::reverse_blocks, cudaFuncAttributeMaxDynamicSharedMemorySize, 100 * 1024));
    launch(tk::reverse_blocks, 1, threads, big, nullptr, in.get(), out.get(), index.get());
    CHECK(out.to_host() == in_values);
    CHECK(cudaFuncSetAttribute(tk::reverse_blocks, cudaFuncAttributeMaxDynamicSharedMemorySize, 300 * 1024) ==
          cudaErrorInvalidValue);
    cudaGetLastError();
}

TEST_CASE("a host pointer passed to a kernel is reported before the kernel runs") {
    std::vector<float> host(64, 0.0f);
    const std::string message =
        kernel_error_of([&] { launch(tk::add_one, 1, 64, 0, nullptr, host.data(), 64); });
    CHECK(contains(message, "argument 0"));
    CHECK(contains(message, "lies in no allocation made by cudaMalloc"));
    CHECK(host == std::vector<float>(64, 0.0f));

    // Registered and pinned host memory is device-accessible.
    PESO_CUDA_CHECK(cudaHostRegister(host.data(), host.size() * sizeof(float), cudaHostRegisterDefault));
    launch(tk::add_one, 1, 64, 0, nullptr, host.data(), 64);
    PESO_CUDA_CHECK(cudaHostUnregister(host.data()));
    CHECK(host == std::vector<float>(64, 1.0f));
    float* pinned = nullptr;
    PESO_CUDA_CHECK(cudaMallocHost(&pinned, 8 * sizeof(float)));
    std::fill(pinned, pinned + 8, 2.0f);
    launch(tk::add_one, 1, 8, 0, nullptr, pinned, 8);
    PESO_CUDA_CHECK(cudaDeviceSynchronize());  // before the host reads what the kernel wrote
    CHECK(pinned[7] == 3.0f);
    PESO_CUDA_CHECK(cudaFreeHost(pinned));
}

TEST_CASE("device builtins outside a kernel throw") {
    CHECK_THROWS_AS(__syncthreads(), emu::KernelError);
    CHECK_THROWS_AS(__shfl_sync(0xffffffffu, 1.0f, 0), emu::KernelError);
    CHECK_THROWS_AS(peso::cuda::dynamic_shared<float>(), emu::KernelError);
}

TEST_CASE("emulated device memory: copies are checked against allocations") {
    float* device = nullptr;
    REQUIRE(cudaMalloc(&device, 16 * sizeof(float)) == cudaSuccess);
    std::vector<float> host(16, 3.0f), back(16, 0.0f);
    CHECK(cudaMemcpy(device, host.data(), 16 * sizeof(float), cudaMemcpyHostToDevice) == cudaSuccess);
    CHECK(cudaMemcpy(back.data(), device, 16 * sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess);
    CHECK(back == host);
    CHECK(cudaMemcpy(device, host.data(), 16 * sizeof(float), cudaMemcpyDefault) == cudaSuccess);

    // One element past the end, a host pointer named as device, a device pointer named as host.
    CHECK(cudaMemcpy(device + 1, host.data(), 16 * sizeof(float), cudaMemcpyHostToDevice) == cudaErrorInvalidValue);
    CHECK(cudaGetLastError() == cudaErrorInvalidValue);
    CHECK(cudaGetLastError() == cudaSuccess);
    CHECK(cudaMemcpy(host.data(), back.data(), 4, cudaMemcpyHostToDevice) == cudaErrorInvalidValue);
    CHECK(cudaMemcpy(device, back.data(), 4, cudaMemcpyHostToHost) == cudaErrorInvalidValue);
    CHECK(cudaMemset(device + 8, 0, 9 * sizeof(float)) == cudaErrorInvalidValue);
    CHECK(cudaMemset(device + 8, 0, 8 * sizeof(float)) == cudaSuccess);
    cudaGetLastError();

    float* other = nullptr;
    REQUIRE(cudaMalloc(&other, 16 * sizeof(float)) == cudaSuccess);
    CHECK(cudaMemcpy(other, device, 16 * sizeof(float), cudaMemcpyDeviceToDevice) == cudaSuccess);
    CHECK(cudaMemcpy(back.data(), other, 16 * sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess);
    CHECK(back[7] == 3.0f);
    CHECK(back[8] == 0.0f);

    std::size_t free_before = 0, total = 0;
    CHECK(cudaMemGetInfo(&free_before, &total) == cudaSuccess);
    CHECK(cudaFree(other) == cudaSuccess);
    std::size_t free_after = 0;
    CHECK(cudaMemGetInfo(&free_after, &total) == cudaSuccess);
    CHECK(free_after == free_before + 16 * sizeof(float));

    CHECK(cudaFree(device + 1) == cudaErrorInvalidValue);  // not the start of an allocation
    CHECK(cudaFree(device) == cudaSuccess);
    CHECK(cudaFree(device) == cudaErrorInvalidValue);  // twice
    CHECK(cudaFree(nullptr) == cudaSuccess);
    cudaGetLastError();

    void* empty = reinterpret_cast<void*>(1);
    CHECK(cudaMalloc(&empty, 0) == cudaSuccess);
    CHECK(empty == nullptr);
}

TEST_CASE("emulated device, streams and events") {
    int count = 0;
    CHECK(cudaGetDeviceCount(&count) == cudaSuccess);
    CHECK(count == 1);
    cudaDeviceProp prop{};
    CHECK(cudaGetDeviceProperties(&prop, 0) == cudaSuccess);
    CHECK(prop.warpSize == 32);
    CHECK(prop.maxThreadsPerBlock == 1024);
    CHECK(prop.major == emu::device_spec().major);  // 9 unless PESO_EMU_DEVICE=a100
    CHECK(cudaSetDevice(1) == cudaErrorInvalidDevice);
    CHECK(cudaGetLastError() == cudaErrorInvalidDevice);
    int sms = 0;
    CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0) == cudaSuccess);
    CHECK(sms == prop.multiProcessorCount);
    CHECK(std::string(cudaGetErrorString(cudaErrorInvalidValue)) == "invalid argument");

    cudaStream_t stream = nullptr;
    cudaEvent_t start = nullptr, stop = nullptr;
    PESO_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    PESO_CUDA_CHECK(cudaEventCreate(&start));
    PESO_CUDA_CHECK(cudaEventCreate(&stop));
    std::vector<float> values(100, 1.0f);
    const DeviceBuffer<float> data(values);
    // cudaMemcpy from pageable memory returns once the source is staged, and
    // the copy runs on the legacy default stream, which a non-blocking stream
    // does not wait for: an event orders them.
    cudaEvent_t uploaded = nullptr;
    PESO_CUDA_CHECK(cudaEventCreateWithFlags(&uploaded, cudaEventDisableTiming));
    PESO_CUDA_CHECK(cudaEventRecord(uploaded, nullptr));
    PESO_CUDA_CHECK(cudaStreamWaitEvent(stream, uploaded, 0));
    PESO_CUDA_CHECK(cudaEventDestroy(uploaded));
    PESO_CUDA_CHECK(cudaEventRecord(start, stream));
    launch(tk::add_one, 1, 128, 0, stream, data.get(), 100);
    PESO_CUDA_CHECK(cudaMemcpyAsync(values.data(), data.get(), 100 * sizeof(float), cudaMemcpyDeviceToHost, stream));
    PESO_CUDA_CHECK(cudaEventRecord(stop, stream));
    PESO_CUDA_CHECK(cudaStreamSynchronize(stream));
    float ms = -1.0f;
    PESO_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    CHECK(ms >= 0.0f);
    CHECK(values == std::vector<float>(100, 2.0f));
    PESO_CUDA_CHECK(cudaEventDestroy(start));
    PESO_CUDA_CHECK(cudaEventDestroy(stop));
    PESO_CUDA_CHECK(cudaStreamDestroy(stream));
    CHECK(cudaStreamSynchronize(stream) == cudaErrorInvalidResourceHandle);  // destroyed
    cudaGetLastError();

    try {
        PESO_CUDA_CHECK(cudaSetDevice(3));
        FAIL("no exception");
    } catch (const peso::DeviceError& e) {
        CHECK(contains(e.what(), "cudaSetDevice(3) failed at"));
        CHECK(contains(e.what(), "cudaErrorInvalidDevice"));
    }
}

TEST_CASE("a large grid runs in reasonable time, reusing fiber stacks across blocks") {
    const int n = 1 << 20;
    const DeviceBuffer<float> data(std::vector<float>(n, 0.0f));
    const auto start = std::chrono::steady_clock::now();
    launch(tk::add_one, n / 256, 256, 0, nullptr, data.get(), n);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    MESSAGE("add_one over 2^20 elements (4096 blocks of 256 threads): " << seconds * 1e3 << " ms");
    const std::vector<float> out = data.to_host();
    CHECK(std::all_of(out.begin(), out.end(), [](float v) { return v == 1.0f; }));
}

#if defined(__SANITIZE_ADDRESS__)
namespace {

// Runs `body` in a child process and returns what it wrote to stderr, and
// whether it exited cleanly (AddressSanitizer ends a process it reports on).
template <class Fn>
std::pair<std::string, bool> run_in_child(Fn body) {
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::dup2(pipe_fds[1], STDERR_FILENO);
        ::close(pipe_fds[0]);
        body();
        ::_exit(0);
    }
    ::close(pipe_fds[1]);
    std::string report;
    char buffer[4096];
    for (ssize_t got; (got = ::read(pipe_fds[0], buffer, sizeof(buffer))) > 0;) report.append(buffer, got);
    ::close(pipe_fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    return {report, WIFEXITED(status) && WEXITSTATUS(status) == 0};
}

}  // namespace

TEST_CASE("AddressSanitizer reports emulated kernels' out-of-bounds global and shared accesses") {
    const auto [global_report, global_clean] = run_in_child([] {
        float* data = nullptr;
        cudaMalloc(&data, 4 * sizeof(float));
        launch(tk::out_of_bounds_write, 1, 4, 0, nullptr, data, 4);
    });
    CHECK(!global_clean);
    CHECK(contains(global_report, "heap-buffer-overflow"));
    CHECK(contains(global_report, "out_of_bounds_write"));

    const auto [shared_report, shared_clean] = run_in_child([] {
        float* data = nullptr;
        cudaMalloc(&data, 32 * sizeof(float));
        launch(tk::shared_out_of_bounds_write, 1, 1, 0, nullptr, data);
    });
    CHECK(!shared_clean);
    CHECK(contains(shared_report, "use-after-poison"));
    CHECK(contains(shared_report, "shared_out_of_bounds_write"));
}
#endif
