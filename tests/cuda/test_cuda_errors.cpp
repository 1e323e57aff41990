// The CUDA backend's errors tell the truth, checked on the emulator with
// failures injected as a GPU would give them (tools/cuda_emu/fault_injection.h):
// CUDA's error name and description in every message; "out of memory" only
// for cudaErrorMemoryAllocation; a kernel that faulted earlier is not blamed on
// the launch that finds its sticky error, and PESO_CUDA_SYNC names it;
// deallocation logs instead of throwing; a failing driver is not "no GPU".
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "backends/cuda/caching_allocator.h"
#include "backends/cuda/check.h"
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/launch.h"
#include "peso.h"
#include "tensor/storage.h"
#include "tools/cuda_emu/async_streams.h"
#include "tools/cuda_emu/fault_injection.h"

// Extern linkage, so that the runtime can name it (cudaFuncGetName).
__global__ void peso_test_scale_by_two(float* data, int n) {
    const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
    if (i < n) data[i] *= 2.0f;
}

using namespace peso;
namespace emu = peso::cuda::emu;

namespace {

// Starts and ends a test with no injected fault and no PESO_CUDA_SYNC,
// passed or not. Synchronous even under PESO_EMU_ASYNC=1: these tests are of
// messages once a kernel has faulted, and in the asynchronous mode a queued
// kernel faults only when the host waits for it (test_cuda_streams.cpp).
struct FaultScope {
    emu::AsyncModeGuard sync{false};
    FaultScope() {
        emu::clear_faults();
        cuda::set_sync_launches(false);
    }
    ~FaultScope() {
        emu::clear_faults();
        cuda::set_sync_launches(false);
        (void)cudaGetLastError();
    }
};

std::string message_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(no exception)";
}

// What `f` writes to stderr.
std::string stderr_of(const std::function<void()>& f) {
    std::fflush(stderr);
    std::FILE* capture = std::tmpfile();
    REQUIRE(capture != nullptr);
    const int saved = ::dup(STDERR_FILENO);
    ::dup2(::fileno(capture), STDERR_FILENO);
    f();
    std::fflush(stderr);
    ::dup2(saved, STDERR_FILENO);
    ::close(saved);
    std::string text;
    std::rewind(capture);
    for (int c; (c = std::fgetc(capture)) != EOF;) text += static_cast<char>(c);
    std::fclose(capture);
    return text;
}

struct DeviceFloats {
    float* data = nullptr;
    explicit DeviceFloats(int n) { PESO_CUDA_CHECK(cudaMalloc(&data, sizeof(float) * n)); }
    ~DeviceFloats() { (void)cudaFree(data); }
};

}  // namespace

TEST_CASE("cuda errors: a failed runtime call names CUDA's error and its description") {
    const FaultScope scope;
    float host[4] = {};
    const std::string m = message_of([&] { PESO_CUDA_CHECK(cudaMemcpy(host, host, 16, cudaMemcpyHostToDevice)); });
    CHECK(m.find("cudaMemcpy(host, host, 16, cudaMemcpyHostToDevice) failed at") != std::string::npos);
    CHECK(m.find("cudaErrorInvalidValue (invalid argument)") != std::string::npos);
    CHECK(m.find("sticky") == std::string::npos);  // not a sticky error: no word of PESO_CUDA_SYNC
    CHECK(cudaGetLastError() == cudaSuccess);       // the check consumed it
}

TEST_CASE("cuda errors: out of memory only when cudaMalloc says so") {
    const FaultScope scope;
    cuda::CachingAllocator alloc(0);
    const std::size_t MiB = std::size_t{1} << 20;

    // One failure: the cache is emptied and the retry succeeds.
    emu::fail_next_mallocs(cudaErrorMemoryAllocation, 1);
    void* a = alloc.allocate(4096);
    CHECK(a != nullptr);
    CHECK(alloc.detailed_stats().cache_flushes == 1);
    CHECK(alloc.stats().system_allocs == 1);

    // Two: the retry fails too, and that is out of memory, with CUDA's words.
    emu::fail_next_mallocs(cudaErrorMemoryAllocation, 2);
    std::string m;
    try {
        alloc.allocate(3 * MiB);
        FAIL("no exception");
    } catch (const cuda::OutOfMemoryError& e) {
        m = e.what();
    }
    CHECK(m.find("CUDA out of memory on device 0: tried to allocate 20.000000 MiB") != std::string::npos);
    CHECK(m.find("cudaErrorMemoryAllocation (out of memory)") != std::string::npos);
    CHECK(alloc.detailed_stats().cache_flushes == 2);

    // Any other failure is itself: no cache flush, no "out of memory".
    emu::fail_next_mallocs(cudaErrorInvalidValue, 1);
    m = message_of([&] { alloc.allocate(3 * MiB); });
    CHECK(m.find("cudaMalloc failed on device 0") != std::string::npos);
    CHECK(m.find("cudaErrorInvalidValue (invalid argument)") != std::string::npos);
    CHECK(m.find("out of memory") == std::string::npos);
    CHECK(alloc.detailed_stats().cache_flushes == 2);
    CHECK_THROWS_AS(([&] {
                        emu::fail_next_mallocs(cudaErrorInvalidValue, 1);
                        alloc.allocate(3 * MiB);
                    }()),
                    DeviceError);
    alloc.deallocate(a, 4096);
}

TEST_CASE("cuda errors: a sticky error from a faulted kernel is not reported as out of memory") {
    const FaultScope scope;
    cuda::CachingAllocator alloc(0);
    DeviceFloats x(64);
    emu::fault_next_launch(cudaErrorIllegalAddress);
    // The faulting launch itself succeeds: on a GPU the kernel has not run yet.
    cuda::launch(peso_test_scale_by_two, 1, 64, 0, nullptr, x.data, 64);
    const std::string m = message_of([&] { alloc.allocate(4096); });
    CHECK(m.find("cudaMalloc failed on device 0") != std::string::npos);
    CHECK(m.find("cudaErrorIllegalAddress (an illegal memory access was encountered)") != std::string::npos);
    CHECK(m.find("sticky") != std::string::npos);
    CHECK(m.find("PESO_CUDA_SYNC=1") != std::string::npos);
    CHECK(m.find("out of memory") == std::string::npos);
    CHECK(alloc.detailed_stats().cache_flushes == 0);
    // Sticky: every later call fails the same way, and cudaGetLastError does not clear it.
    CHECK(cudaGetLastError() == cudaErrorIllegalAddress);
    CHECK(cudaGetLastError() == cudaErrorIllegalAddress);
    CHECK(cudaDeviceSynchronize() == cudaErrorIllegalAddress);
}

TEST_CASE("cuda errors: a later launch does not take the blame for an earlier kernel's fault") {
    const FaultScope scope;
    DeviceFloats x(64);
    emu::fault_next_launch(cudaErrorIllegalAddress);
    cuda::launch(peso_test_scale_by_two, 1, 64, 0, nullptr, x.data, 64);  // faults, unseen
    const std::string m = message_of([&] { cuda::launch(peso_test_scale_by_two, 1, 32, 0, nullptr, x.data, 64); });
    CHECK(m.find("launch of kernel peso_test_scale_by_two(float*, int)") != std::string::npos);
    CHECK(m.find("cudaErrorIllegalAddress (an illegal memory access was encountered)") != std::string::npos);
    CHECK(m.find("may have been launched earlier") != std::string::npos);
    CHECK(m.find("run with PESO_CUDA_SYNC=1") != std::string::npos);
}

TEST_CASE("cuda errors: with PESO_CUDA_SYNC=1 the kernel that faulted is named") {
    const FaultScope scope;
    cuda::set_sync_launches(true);
    DeviceFloats x(64);
    cuda::launch(peso_test_scale_by_two, 1, 64, 0, nullptr, x.data, 64);  // a good launch passes
    emu::fault_next_launch(cudaErrorIllegalAddress);
    // clang-format off
    const int line = __LINE__; const std::string m = message_of([&] { cuda::launch(peso_test_scale_by_two, 2, 32, 0, nullptr, x.data, 64); });
    // clang-format on
    CHECK(m.find("kernel peso_test_scale_by_two(float*, int) (launched at ") != std::string::npos);
    CHECK(m.find("test_cuda_errors.cpp:" + std::to_string(line) + ", grid (2,1,1), block (32,1,1))") !=
          std::string::npos);
    CHECK(m.find("failed while running (PESO_CUDA_SYNC=1): cudaErrorIllegalAddress") != std::string::npos);

    // A backend kernel (internal linkage: the runtime has no name for it here)
    // is named by its type and its launch site.
    emu::clear_faults();
    const Tensor a = native::arange(0, 8, 1, TensorOptions(DType::f32)).to(Device::cuda(0));
    emu::fault_next_launch(cudaErrorIllegalAddress);
    const std::string b = message_of([&] { (void)a.exp(); });
    CHECK(b.find("kernel of type void (*)(") != std::string::npos);
    CHECK(b.find("elementwise.cu:") != std::string::npos);
    CHECK(b.find("failed while running (PESO_CUDA_SYNC=1): cudaErrorIllegalAddress") != std::string::npos);
}

TEST_CASE("cuda errors: deallocation never throws; a failed cudaFree is logged") {
    const FaultScope scope;
    cuda::CachingAllocator direct(0, /*caching*/ false);
    void* p = direct.allocate(1000);
    DeviceFloats x(64);
    emu::fault_next_launch(cudaErrorIllegalAddress);
    cuda::launch(peso_test_scale_by_two, 1, 64, 0, nullptr, x.data, 64);
    (void)cudaDeviceSynchronize();  // the fault is now sticky
    std::string log = stderr_of([&] { CHECK_NOTHROW(direct.deallocate(p, 1000)); });
    CHECK(log.find("cudaFree failed: cudaErrorIllegalAddress") != std::string::npos);
    CHECK(direct.stats().live_blocks == 0);
    CHECK(direct.detailed_stats().dropped_errors == 1);
    // The allocator has let go of the block; once the device is usable again the
    // test frees it itself, so that LeakSanitizer sees only real leaks.
    emu::clear_faults();
    CHECK(cudaFree(p) == cudaSuccess);

    // Through a Storage's destructor.
    emu::clear_faults();
    auto storage = std::make_unique<Storage>(2000, Device::cuda(0), direct);
    void* const leaked = storage->data();
    emu::fault_next_launch(cudaErrorIllegalAddress);
    cuda::launch(peso_test_scale_by_two, 1, 64, 0, nullptr, x.data, 64);
    (void)cudaDeviceSynchronize();
    log = stderr_of([&] { storage.reset(); });
    CHECK(log.find("cudaFree failed: cudaErrorIllegalAddress") != std::string::npos);
    CHECK(direct.detailed_stats().dropped_errors == 2);
    emu::clear_faults();
    CHECK(cudaFree(leaked) == cudaSuccess);

    // A pointer the allocator never gave out is logged too.
    int not_ours = 0;
    log = stderr_of([&] { CHECK_NOTHROW(direct.deallocate(&not_ours, 4)); });
    CHECK(log.find("freeing a pointer it did not allocate") != std::string::npos);
    cuda::CachingAllocator caching(0);
    log = stderr_of([&] { CHECK_NOTHROW(caching.deallocate(&not_ours, 4)); });
    CHECK(log.find("freeing a pointer it did not allocate") != std::string::npos);
}

TEST_CASE("cuda errors: a Storage whose allocator throws on release logs and goes on") {
    // Destructors are noexcept: a throw from one would end the program.
    struct ThrowingAllocator final : Allocator {
        float cell = 0;
        void* allocate(std::size_t) override { return &cell; }
        void deallocate(void*, std::size_t) override { throw DeviceError("cudaFree failed: cudaErrorLaunchFailure"); }
        AllocatorStats stats() const override { return {}; }
        void empty_cache() override {}
    } throwing;
    auto storage = std::make_unique<Storage>(4, Device::cuda(0), throwing);
    const std::string log = stderr_of([&] { storage.reset(); });
    CHECK(log == "peso: freeing 4 bytes on cuda:0 failed: cudaFree failed: cudaErrorLaunchFailure (continuing)\n");
}

TEST_CASE("cuda errors: a driver that fails is not 'no GPU'") {
    const FaultScope scope;
    emu::fail_device_count(cudaErrorInsufficientDriver);
    const cuda::DeviceQuery q = cuda::query_devices();
    CHECK(q.count == 0);
    CHECK(q.error == cudaErrorInsufficientDriver);
    const std::string why = cuda::no_device_reason(q);
    CHECK(why.find("no usable CUDA device: cudaGetDeviceCount failed with cudaErrorInsufficientDriver (CUDA driver "
                   "version is insufficient for CUDA runtime version)") != std::string::npos);
    CHECK(cudaGetLastError() == cudaSuccess);  // the query does not leave its error behind

    emu::clear_faults();
    const cuda::DeviceQuery ok = cuda::query_devices();
    CHECK(ok.count == 1);
    CHECK(ok.error == cudaSuccess);
    CHECK(cuda::no_device_reason(ok).empty());
    CHECK(cuda::no_device_reason(cuda::DeviceQuery{0, cudaSuccess}) ==
          "no CUDA device is available (cudaGetDeviceCount reports none)");
}
