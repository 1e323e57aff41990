// Streams on the emulator's asynchronous mode (tools/cuda_emu/async_streams.h),
// and the backend's stream hygiene: each deliberately broken program — a
// result read on the host before its stream is synchronised, a pinned buffer
// changed before the copy from it has run, a block freed on one stream and
// reused while another still uses it — gives the wrong answer or is reported
// in async mode, and its correct version passes. Also: events and the legacy
// default stream's rules, the allocator's record_stream and poisoning, pinned
// staging of host-to-device copies, per-(thread, device) current streams,
// cuBLAS per stream, device tables, and the integer matmul's grid loops.
#include <doctest/doctest.h>

#include <cstdint>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "backends/cuda/caching_allocator.h"
#include "backends/cuda/check.h"
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/launch.h"
#include "backends/cuda/stream.h"
#include "models/gpt/gpt.h"
#include "nn/clip_grad.h"
#include "nn/optim/adam.h"
#include "peso.h"
#include "tools/cuda_emu/async_streams.h"
#include "tools/cuda_emu/device_limits.h"
#include "tools/cuda_emu/fault_injection.h"

__global__ void peso_streams_add_one(float* data, int n) {
    const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
    if (i < n) data[i] += 1.0f;
}

__global__ void peso_streams_fill(float* data, int n, float value) {
    const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
    if (i < n) data[i] = value;
}

__global__ void peso_streams_trap(float* data) {
    if (threadIdx.x == 3) __trap();
    data[threadIdx.x] = 1.0f;
}

// Takes the next ticket: the order in which launches ran.
__global__ void peso_streams_ticket(int* counter, int* slot) { *slot = atomicAdd(counter, 1); }

struct HugeParameters {
    char bytes[40000];
};
__global__ void peso_streams_huge_parameters(HugeParameters p, float* out) { out[0] = p.bytes[0]; }

using namespace peso;
namespace emu = peso::cuda::emu;

namespace {

constexpr int kN = 256;

struct Stream {
    cudaStream_t s = nullptr;
    explicit Stream(unsigned flags = cudaStreamDefault) { PESO_CUDA_CHECK(cudaStreamCreateWithFlags(&s, flags)); }
    ~Stream() { (void)cudaStreamDestroy(s); }
};

struct Event {
    cudaEvent_t e = nullptr;
    Event() { PESO_CUDA_CHECK(cudaEventCreate(&e)); }
    ~Event() { (void)cudaEventDestroy(e); }
};

struct DeviceFloats {
    float* data = nullptr;
    DeviceFloats() { PESO_CUDA_CHECK(cudaMalloc(&data, sizeof(float) * kN)); }
    ~DeviceFloats() { (void)cudaFree(data); }
};

struct PinnedFloats {
    float* data = nullptr;
    explicit PinnedFloats(float value = 0) {
        PESO_CUDA_CHECK(cudaMallocHost(&data, sizeof(float) * kN));
        fill(value);
    }
    ~PinnedFloats() { (void)cudaFreeHost(data); }
    void fill(float value) { std::fill(data, data + kN, value); }
    bool all(float value) const { return std::all_of(data, data + kN, [&](float x) { return x == value; }); }
};

constexpr std::size_t kBytes = sizeof(float) * kN;

void fill_on(cudaStream_t s, float* d, float value) { cuda::launch(peso_streams_fill, 1, kN, 0, s, d, kN, value); }
void add_one_on(cudaStream_t s, float* d) { cuda::launch(peso_streams_add_one, 1, kN, 0, s, d, kN); }

bool is_poison(float x) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &x, sizeof bits);
    return bits == 0xffffffffu;
}

}  // namespace

TEST_CASE("async streams: a result read before its stream is synchronised is stale") {
    const emu::AsyncModeGuard async(true, 7);
    const Stream stream;
    DeviceFloats d;
    PinnedFloats in(41), out(0);
    const std::size_t queued_before = emu::queued_work();
    PESO_CUDA_CHECK(cudaMemcpyAsync(d.data, in.data, kBytes, cudaMemcpyHostToDevice, stream.s));
    add_one_on(stream.s, d.data);
    PESO_CUDA_CHECK(cudaMemcpyAsync(out.data, d.data, kBytes, cudaMemcpyDeviceToHost, stream.s));
    CHECK(emu::queued_work() == queued_before + 3);
    // Broken: the host reads before it waits. A GPU under load has not run the
    // copy yet either; the synchronous emulator had.
    CHECK(out.all(0));
    // Correct: synchronise first.
    PESO_CUDA_CHECK(cudaStreamSynchronize(stream.s));
    CHECK(emu::queued_work() == queued_before);
    CHECK(out.all(42));
}

TEST_CASE("async streams: the synchronous emulator cannot see a missing synchronisation") {
    const emu::AsyncModeGuard sync(false);
    const Stream stream;
    DeviceFloats d;
    PinnedFloats out(0);
    fill_on(stream.s, d.data, 5);
    PESO_CUDA_CHECK(cudaMemcpyAsync(out.data, d.data, kBytes, cudaMemcpyDeviceToHost, stream.s));
    CHECK(out.all(5));  // right by luck: the missing cudaStreamSynchronize goes unnoticed
}

TEST_CASE("async streams: a pinned source changed before its copy has run") {
    const emu::AsyncModeGuard async(true, 7);
    const Stream stream;
    DeviceFloats d;
    PinnedFloats in(1), out(0);
    SUBCASE("broken: reused at once") {
        PESO_CUDA_CHECK(cudaMemcpyAsync(d.data, in.data, kBytes, cudaMemcpyHostToDevice, stream.s));
        in.fill(2);  // the copy reads the buffer when it runs
        PESO_CUDA_CHECK(cudaMemcpyAsync(out.data, d.data, kBytes, cudaMemcpyDeviceToHost, stream.s));
        PESO_CUDA_CHECK(cudaStreamSynchronize(stream.s));
        CHECK(out.all(2));  // not the 1 the program meant to send
    }
    SUBCASE("correct: reused once an event says the copy is done") {
        const Event copied;
        PESO_CUDA_CHECK(cudaMemcpyAsync(d.data, in.data, kBytes, cudaMemcpyHostToDevice, stream.s));
        PESO_CUDA_CHECK(cudaEventRecord(copied.e, stream.s));
        CHECK(cudaEventQuery(copied.e) == cudaErrorNotReady);
        PESO_CUDA_CHECK(cudaEventSynchronize(copied.e));
        in.fill(2);
        PESO_CUDA_CHECK(cudaMemcpyAsync(out.data, d.data, kBytes, cudaMemcpyDeviceToHost, stream.s));
        PESO_CUDA_CHECK(cudaStreamSynchronize(stream.s));
        CHECK(out.all(1));
    }
    SUBCASE("pageable: CUDA stages the source before the call returns") {
        std::vector<float> pageable(kN, 1.0f);
        PESO_CUDA_CHECK(cudaMemcpyAsync(d.data, pageable.data(), kBytes, cudaMemcpyHostToDevice, stream.s));
        std::fill(pageable.begin(), pageable.end(), 2.0f);
        // To pageable memory the copy is done when the call returns.
        std::vector<float> back(kN, 0.0f);
        PESO_CUDA_CHECK(cudaMemcpyAsync(back.data(), d.data, kBytes, cudaMemcpyDeviceToHost, stream.s));
        CHECK(back == std::vector<float>(kN, 1.0f));
    }
}

TEST_CASE("async streams: two streams run in either order unless an event orders them") {
    const emu::AsyncModeGuard async(true, 7);
    const Stream producer, consumer;
    DeviceFloats d;
    PinnedFloats out(0);
    PESO_CUDA_CHECK(cudaMemset(d.data, 0, kBytes));
    PESO_CUDA_CHECK(cudaDeviceSynchronize());
    fill_on(producer.s, d.data, 3);
    SUBCASE("broken: no event") {
        PESO_CUDA_CHECK(cudaMemcpyAsync(out.data, d.data, kBytes, cudaMemcpyDeviceToHost, consumer.s));
        PESO_CUDA_CHECK(cudaStreamSynchronize(consumer.s));
        CHECK(out.all(0));  // the producer's kernel has not run: nothing made the consumer wait
    }
    SUBCASE("correct: the consumer waits for the producer's event") {
        const Event produced;
        PESO_CUDA_CHECK(cudaEventRecord(produced.e, producer.s));
        PESO_CUDA_CHECK(cudaStreamWaitEvent(consumer.s, produced.e, 0));
        PESO_CUDA_CHECK(cudaMemcpyAsync(out.data, d.data, kBytes, cudaMemcpyDeviceToHost, consumer.s));
        PESO_CUDA_CHECK(cudaStreamSynchronize(consumer.s));
        CHECK(out.all(3));
    }
    PESO_CUDA_CHECK(cudaDeviceSynchronize());
}

TEST_CASE("async streams: the legacy default stream waits for blocking streams only") {
    const emu::AsyncModeGuard async(true, 7);
    DeviceFloats d;
    PinnedFloats out(0);
    PESO_CUDA_CHECK(cudaMemset(d.data, 0, kBytes));
    SUBCASE("blocking stream") {
        const Stream blocking;
        fill_on(blocking.s, d.data, 4);
        PESO_CUDA_CHECK(cudaMemcpyAsync(out.data, d.data, kBytes, cudaMemcpyDeviceToHost, nullptr));
        PESO_CUDA_CHECK(cudaStreamSynchronize(nullptr));
        CHECK(out.all(4));
        // ... and a blocking stream's work waits for the legacy stream's.
        PESO_CUDA_CHECK(cudaMemset(d.data, 0, kBytes));
        add_one_on(blocking.s, d.data);
        PESO_CUDA_CHECK(cudaMemcpyAsync(out.data, d.data, kBytes, cudaMemcpyDeviceToHost, blocking.s));
        PESO_CUDA_CHECK(cudaStreamSynchronize(blocking.s));
        CHECK(out.all(1));
    }
    SUBCASE("non-blocking stream") {
        const Stream non_blocking(cudaStreamNonBlocking);
        fill_on(non_blocking.s, d.data, 4);
        PESO_CUDA_CHECK(cudaMemcpyAsync(out.data, d.data, kBytes, cudaMemcpyDeviceToHost, nullptr));
        PESO_CUDA_CHECK(cudaStreamSynchronize(nullptr));
        CHECK(out.all(0));
    }
    PESO_CUDA_CHECK(cudaDeviceSynchronize());
}

namespace {

// The order (tickets) in which 8 launches on each of two streams run when the
// device is synchronised, in async mode with `seed`.
std::vector<int> interleaving(std::uint64_t seed) {
    const emu::AsyncModeGuard async(true, seed);
    const Stream a, b;
    int* tickets = nullptr;  // [0] the counter, then one slot per launch
    PESO_CUDA_CHECK(cudaMallocHost(&tickets, 17 * sizeof(int)));
    std::fill(tickets, tickets + 17, 0);
    for (int i = 0; i < 8; ++i) {
        cuda::launch(peso_streams_ticket, 1, 1, 0, a.s, tickets, tickets + 1 + i);
        cuda::launch(peso_streams_ticket, 1, 1, 0, b.s, tickets, tickets + 9 + i);
    }
    PESO_CUDA_CHECK(cudaDeviceSynchronize());
    std::vector<int> order(tickets + 1, tickets + 17);
    PESO_CUDA_CHECK(cudaFreeHost(tickets));
    return order;
}

}  // namespace

TEST_CASE("async streams: independent streams interleave at random, reproducibly per seed") {
    std::vector<std::vector<int>> orders;
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
        const std::vector<int> order = interleaving(seed);
        CHECK(order == interleaving(seed));  // the seed replays it
        // Each stream's FIFO holds whatever the interleaving.
        CHECK(std::is_sorted(order.begin(), order.begin() + 8));
        CHECK(std::is_sorted(order.begin() + 8, order.end()));
        orders.push_back(order);
    }
    // Not one stream's launches first and then the other's: they interleave, differently per seed.
    const auto one_after_other = [](const std::vector<int>& o) { return o[7] == 7 || o[15] == 7; };
    CHECK(std::count_if(orders.begin(), orders.end(), one_after_other) < 4);
    CHECK(std::any_of(orders.begin() + 1, orders.end(), [&](const std::vector<int>& o) { return o != orders[0]; }));
}

TEST_CASE("async streams: queries do not wait, a polling loop ends, a queued kernel's failure is reported") {
    const emu::AsyncModeGuard async(true, 7);
    const Stream stream;
    DeviceFloats d;
    fill_on(stream.s, d.data, 1);
    CHECK(cudaStreamQuery(stream.s) == cudaErrorNotReady);
    int polls = 1;
    while (cudaStreamQuery(stream.s) == cudaErrorNotReady) ++polls;
    CHECK(polls > 1);
    CHECK(cudaStreamQuery(stream.s) == cudaSuccess);

    cuda::launch(peso_streams_trap, 1, 32, 0, stream.s, d.data);  // queued: the launch itself succeeds
    CHECK_THROWS_WITH_AS(PESO_CUDA_CHECK(cudaStreamSynchronize(stream.s)), doctest::Contains("__trap"),
                         emu::KernelError);
    PESO_CUDA_CHECK(cudaStreamSynchronize(stream.s));  // reported once
}

TEST_CASE("async streams: a queued kernel that faults makes the device's error sticky when it runs") {
    const emu::AsyncModeGuard async(true, 7);
    emu::clear_faults();
    DeviceFloats d;
    emu::fault_next_launch(cudaErrorIllegalAddress);
    add_one_on(nullptr, d.data);  // the launch succeeds: the kernel has not run
    void* p = nullptr;
    CHECK(cudaMalloc(&p, 64) == cudaSuccess);  // nor has it when the next call comes
    CHECK(cudaFree(p) == cudaErrorIllegalAddress);  // cudaFree waits for the device: now it has
    CHECK(cudaStreamSynchronize(nullptr) == cudaErrorIllegalAddress);
    CHECK(cudaGetLastError() == cudaErrorIllegalAddress);  // sticky: not cleared
    void* q = nullptr;
    CHECK(cudaMalloc(&q, 64) == cudaErrorIllegalAddress);
    emu::clear_faults();
    (void)cudaGetLastError();
    PESO_CUDA_CHECK(cudaFree(p));  // what the failed cudaFree left behind (LeakSanitizer)
}

TEST_CASE("async streams: a block freed on one stream and reused while another still uses it is reported") {
    const emu::AsyncModeGuard async(true, 7);
    cuda::CachingAllocator alloc(0);
    const Stream home, other;
    const cuda::StreamGuard on_home(home.s);
    auto* p = static_cast<float*>(alloc.allocate(kBytes));
    fill_on(home.s, p, 1);
    const Event filled;
    PESO_CUDA_CHECK(cudaEventRecord(filled.e, home.s));
    PESO_CUDA_CHECK(cudaStreamWaitEvent(other.s, filled.e, 0));
    add_one_on(other.s, p);  // the block is used on a second stream

    SUBCASE("broken: freed without record_stream") {
        alloc.deallocate(p, kBytes);
        CHECK_THROWS_WITH_AS(alloc.allocate(kBytes), doctest::Contains("still uses it on stream #"), emu::KernelError);
        CHECK(alloc.stats().live_blocks == 0);  // the failed allocation was undone
    }
    SUBCASE("correct: record_stream makes the block wait for the other stream") {
        alloc.record_stream(p, other.s);
        alloc.deallocate(p, kBytes);
        CHECK(alloc.blocks_awaiting_events() == 1);
        void* q = alloc.allocate(kBytes);  // another block: p is not free yet
        CHECK(q != p);
        alloc.deallocate(q, kBytes);
        PESO_CUDA_CHECK(cudaStreamSynchronize(other.s));
        void* again = alloc.allocate(kBytes);  // the event has completed: p is reused, without a report
        CHECK(again == p);
        CHECK(alloc.blocks_awaiting_events() == 0);
        // Poisoned on its stream once the other stream was done with it.
        PinnedFloats out(0);
        PESO_CUDA_CHECK(cudaMemcpyAsync(out.data, again, kBytes, cudaMemcpyDeviceToHost, home.s));
        PESO_CUDA_CHECK(cudaStreamSynchronize(home.s));
        CHECK(std::all_of(out.data, out.data + kN, is_poison));
        alloc.deallocate(again, kBytes);
    }
    PESO_CUDA_CHECK(cudaDeviceSynchronize());
    alloc.empty_cache();
}

TEST_CASE("async streams: a tensor used on a second stream, through the backend") {
    const emu::AsyncModeGuard async(true, 7);
    const Stream side;
    cuda::CachingAllocator& alloc = cuda::cuda_backend(0).caching_allocator();
    const std::vector<float> values(1000, 2.0f);
    Tensor x = from_vector(values).to(Device::cuda(0));  // on the default stream
    PESO_CUDA_CHECK(cudaStreamSynchronize(nullptr));
    Tensor y;
    {
        const cuda::StreamGuard on_side(side.s);
        y = mul(x, 3.0);  // reads x on the side stream
        alloc.record_stream(x.data_ptr(), side.s);
    }
    x = Tensor();  // freed while the side stream may still read it: waits for its event
    // (With PESO_CUDA_ALLOC=direct the free is a cudaFree, which waits for the device instead.)
    CHECK(alloc.blocks_awaiting_events() == (alloc.caching() ? 1 : 0));
    const Tensor z = full(Dims{1000}, 1.0, TensorOptions(DType::f32).device(Device::cuda(0)));  // no report
    PESO_CUDA_CHECK(cudaStreamSynchronize(side.s));
    CHECK(y.to(Device::cpu()).to_vector<float>() == std::vector<float>(1000, 6.0f));
    CHECK(z.to(Device::cpu()).to_vector<float>() == std::vector<float>(1000, 1.0f));
}

TEST_CASE("async streams: host-to-device copies go through pinned staging, so the source may change at once") {
    const emu::AsyncModeGuard async(true, 7);
    std::vector<float> host(5000, 7.0f);
    const Tensor src = from_vector(host);
    const std::size_t buffers_before = cuda::cuda_backend(0).pinned_staging().buffers();
    Tensor on_device = src.to(Device::cuda(0));
    CHECK(emu::queued_work() > 0);  // the device side is queued ...
    std::memset(src.data_ptr(), 0, src.nbytes());  // ... while the caller's memory changes
    CHECK(on_device.to(Device::cpu()).to_vector<float>() == host);
    CHECK(cuda::cuda_backend(0).pinned_staging().buffers() >= std::max<std::size_t>(buffers_before, 1));
}

namespace {

// Three AdamW steps of a small GPT whose parameters and data are uploaded on
// the default stream, trained on `stream`; the side stream waits for the
// uploads unless told not to (PyTorch: side.wait_stream(current_stream())).
std::vector<float> train_gpt_on(cudaStream_t stream, bool wait_for_uploads = true) {
    models::GptConfig c;
    c.n_layer = 2;
    c.n_head = 2;
    c.n_embd = 16;
    c.block_size = 8;
    c.vocab_size = 13;
    Generator gen(3);
    models::Gpt model(c, &gen);
    model.to(Device::cuda(0));
    const Tensor data = randint(0, c.vocab_size, {2, 9}, TensorOptions(DType::i64), &gen).to(Device::cuda(0));
    const Tensor x = data.narrow(1, 0, 8), y = data.narrow(1, 1, 8);
    const Event uploaded;
    PESO_CUDA_CHECK(cudaEventRecord(uploaded.e, nullptr));
    if (wait_for_uploads) PESO_CUDA_CHECK(cudaStreamWaitEvent(stream, uploaded.e, 0));
    std::vector<float> losses;
    const cuda::StreamGuard on_stream(stream);
    nn::optim::AdamW opt(model.optimizer_groups(0.1), {});
    std::vector<Tensor> params;
    for (const auto& [name, p] : model.named_parameters()) params.push_back(p);
    for (int step = 0; step < 3; ++step) {
        const models::GptOutput out = model.forward(x, y);
        opt.zero_grad();
        out.loss.backward();
        (void)nn::clip_grad_norm_(params, 1.0);
        opt.step();
        losses.push_back(out.loss.item<float>());  // waits for the stream: its work is done before the model goes
    }
    return losses;
}

}  // namespace

TEST_CASE("async streams: GPT training on a non-blocking side stream") {
    const emu::AsyncModeGuard async(true, 11);
    const std::vector<float> on_default = train_gpt_on(nullptr);
    REQUIRE(on_default.size() == 3);
    CHECK(std::isfinite(on_default[2]));
    const Stream side(cudaStreamNonBlocking);
    SUBCASE("correct: the side stream waits for the uploads") { CHECK(train_gpt_on(side.s) == on_default); }
    SUBCASE("broken: it does not, and reads memory the uploads have not written yet") {
        // The token ids are still the fresh memory's 0xff bytes when the
        // embedding's bounds check reads them on the side stream.
        CHECK_THROWS_WITH_AS(train_gpt_on(side.s, /*wait_for_uploads*/ false), doctest::Contains("index -1"),
                             IndexError);
    }
    PESO_CUDA_CHECK(cudaDeviceSynchronize());
}

TEST_CASE("streams: the current stream is per host thread and per device") {
    const Stream stream;
    const cuda::StreamGuard guard(stream.s, 0);
    CHECK(cuda::current_stream() == stream.s);
    CHECK(cuda::current_stream(0) == stream.s);
    cudaStream_t seen_by_other_thread = stream.s;
    std::thread([&] { seen_by_other_thread = cuda::current_stream(0); }).join();
    CHECK(seen_by_other_thread == nullptr);
    CHECK_THROWS_AS(cuda::current_stream(64), DeviceError);
}

TEST_CASE("async streams: matmul on two streams, each with its own cuBLAS handle") {
    const emu::AsyncModeGuard async(true, 7);
    const Stream s1, s2;
    const Tensor a = arange(0, 12, 1, TensorOptions(DType::f32)).reshape(Dims{3, 4}).to(Device::cuda(0));
    const Tensor b = arange(0, 8, 1, TensorOptions(DType::f32)).reshape(Dims{4, 2}).to(Device::cuda(0));
    PESO_CUDA_CHECK(cudaStreamSynchronize(nullptr));
    Tensor c1, c2;
    {
        const cuda::StreamGuard g(s1.s);
        c1 = matmul(a, b);
    }
    {
        const cuda::StreamGuard g(s2.s);
        c2 = matmul(a, mul(b, 2.0));
    }
    PESO_CUDA_CHECK(cudaDeviceSynchronize());
    const std::vector<float> expected{28, 34, 76, 98, 124, 162};
    CHECK(c1.to(Device::cpu()).to_vector<float>() == expected);
    std::vector<float> doubled = expected;
    for (float& v : doubled) v *= 2;
    CHECK(c2.to(Device::cpu()).to_vector<float>() == doubled);
}

// 65538 blocks of 256 threads: about 5 s on the emulator, so skipped here and
// run by the slow label (tests/CMakeLists.txt: slow_cuda_large_grids, --no-skip).
TEST_CASE("cuda matmul: integer batches beyond the 65535 blocks of gridDim.z" * doctest::skip()) {
    const std::int64_t batches = 65535 + 3;
    const Tensor a = arange(0, static_cast<double>(batches * 2), 1, TensorOptions(DType::i32)).reshape(Dims{batches, 1, 2});
    const Tensor b = full(Dims{batches, 2, 1}, 1.0, TensorOptions(DType::i32));
    const std::vector<std::int32_t> got = matmul(a.to(Device::cuda(0)), b.to(Device::cuda(0))).to(Device::cpu()).to_vector<std::int32_t>();
    REQUIRE(got.size() == static_cast<std::size_t>(batches));
    for (const std::int64_t i : {std::int64_t{0}, std::int64_t{65534}, std::int64_t{65535}, batches - 1})
        CHECK(got[static_cast<std::size_t>(i)] == static_cast<std::int32_t>(4 * i + 1));
}

TEST_CASE("emulator device tables: limits of the A100, H100 and H200, checked at launch") {
    const emu::DeviceSpec* a100 = emu::find_device_spec("a100");
    const emu::DeviceSpec* h200 = emu::find_device_spec("h200");
    REQUIRE(a100 != nullptr);
    REQUIRE(h200 != nullptr);
    CHECK(a100->multiprocessors == 108);
    CHECK(a100->major == 8);
    CHECK(a100->optin_shared_bytes_per_block == 163 * 1024);
    CHECK(emu::find_device_spec("h100")->multiprocessors == 132);
    CHECK(h200->global_memory_bytes == std::size_t{141} << 30);
    CHECK(emu::find_device_spec("v100") == nullptr);

    const emu::DeviceSpec& device = emu::device_spec();
    cudaDeviceProp prop{};
    PESO_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
    CHECK(prop.multiProcessorCount == device.multiprocessors);
    CHECK(prop.sharedMemPerBlockOptin == device.optin_shared_bytes_per_block);
    // More dynamic shared memory than the device allows is refused.
    CHECK(cudaFuncSetAttribute(peso_streams_add_one, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               static_cast<int>(device.optin_shared_bytes_per_block) + 1) == cudaErrorInvalidValue);
    (void)cudaGetLastError();
    // Parameters beyond the device's 32764 bytes: nvcc would reject the kernel.
    DeviceFloats d;
    HugeParameters huge{};
    CHECK_THROWS_WITH_AS(cuda::launch(peso_streams_huge_parameters, 1, 1, 0, nullptr, huge, d.data),
                         doctest::Contains("bytes of parameters"), emu::KernelError);
}
