#include "tools/cuda_emu/grid_launch.h"

#include <cxxabi.h>
#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <memory>
#include <numeric>

#include "tools/cuda_emu/block_runner.h"
#include "tools/cuda_emu/device_limits.h"
#include "tools/cuda_emu/device_memory.h"
#include "tools/cuda_emu/fault_injection.h"
#include "tools/cuda_emu/kernel_error.h"
#include "tools/cuda_emu/race_check.h"
#include "tools/cuda_emu/race_detector.h"
#include "tools/cuda_emu/runtime_state.h"
#include "tools/cuda_emu/async_streams.h"
#include "tools/cuda_emu/stream_scheduler.h"
#include "tools/cuda_emu/thread_order.h"

namespace peso::cuda::emu {
namespace {

// Each host thread runs its launches on its own fibers and stacks.
struct HostThread {
    FiberStackPool stacks;
    BlockRunner runner{stacks};
    RaceDetector race;
    bool in_launch = false;
};

HostThread& host_thread() {
    thread_local HostThread state;
    return state;
}

BlockRunner& runner_on_gpu_thread(const char* builtin, const std::source_location& site) {
    HostThread& host = host_thread();
    if (!host.in_launch || !host.runner.on_gpu_thread()) {
        throw KernelError(fmt::format("CUDA emulator: {} called outside an emulated kernel, at {}", builtin,
                                      describe_site(site)));
    }
    return host.runner;
}

cudaError_t check_configuration(const LaunchInfo& launch) {
    const dim3 g = launch.grid;
    const dim3 b = launch.block;
    const bool block_ok = b.x >= 1 && b.y >= 1 && b.z >= 1 && b.x <= max_block_dim[0] && b.y <= max_block_dim[1] &&
                          b.z <= max_block_dim[2] &&
                          std::uint64_t{b.x} * b.y * b.z <= static_cast<std::uint64_t>(max_threads_per_block);
    const bool grid_ok = g.x >= 1 && g.y >= 1 && g.z >= 1 && g.x <= max_grid_dim[0] && g.y <= max_grid_dim[1] &&
                         g.z <= max_grid_dim[2];
    if (!block_ok || !grid_ok) return cudaErrorInvalidConfiguration;
    if (launch.dynamic_shared_bytes > max_dynamic_shared_bytes(launch.kernel)) return cudaErrorInvalidValue;
    if (!is_valid_stream(launch.stream)) return cudaErrorInvalidResourceHandle;
    return cudaSuccess;
}

// nvcc rejects a kernel whose parameters exceed the device's limit (32764
// bytes since CUDA 12.1 on Volta and later, 4 KiB before).
void check_parameter_size(const LaunchInfo& launch) {
    const std::size_t limit = device_spec().max_parameter_bytes;
    if (launch.parameter_bytes <= limit) return;
    throw KernelError(fmt::format("CUDA emulator: {} passes {} bytes of parameters; the {} device takes at most {}",
                                  describe_launch(launch), launch.parameter_bytes, device_spec().name, limit));
}

// Visits the grid's blocks forward, backward, or in an affine permutation
// i -> (a*i + b) mod n that needs no memory for grids of billions of blocks.
class BlockOrder {
public:
    explicit BlockOrder(std::uint64_t count) : count_(count), order_(thread_order()) {
        if (order_ != ThreadOrder::random || count_ < 2) return;
        const std::uint64_t seed = random_order_seed();
        stride_ = (seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull) % count_;
        while (std::gcd(stride_, count_) != 1) stride_ = (stride_ + 1) % count_;
        offset_ = (seed ^ 0xd1b54a32d192ed03ull) % count_;
    }

    std::uint64_t operator[](std::uint64_t i) const {
        switch (order_) {
            case ThreadOrder::forward: return i;
            case ThreadOrder::reverse: return count_ - 1 - i;
            case ThreadOrder::random: break;
        }
        if (count_ < 2) return i;
        return static_cast<std::uint64_t>((static_cast<unsigned __int128>(stride_) * i + offset_) % count_);
    }

private:
    std::uint64_t count_;
    ThreadOrder order_;
    std::uint64_t stride_ = 1;
    std::uint64_t offset_ = 0;
};

// Sets the grid-wide coordinates for the launch and clears them after, so
// that host code reading them outside a kernel sees zeros.
class LaunchScope {
public:
    LaunchScope(HostThread& host, const LaunchInfo& launch) : host_(host) {
        host_.in_launch = true;
        gridDim = launch.grid;
        blockDim = launch.block;
    }
    ~LaunchScope() {
        host_.in_launch = false;
        gridDim = dim3(0, 0, 0);
        blockDim = dim3(0, 0, 0);
        blockIdx = uint3{};
        threadIdx = uint3{};
    }
    LaunchScope(const LaunchScope&) = delete;
    LaunchScope& operator=(const LaunchScope&) = delete;

private:
    HostThread& host_;
};

std::string kernel_name(const LaunchInfo& launch) {
    Dl_info info{};
    if (::dladdr(launch.kernel, &info) != 0 && info.dli_sname != nullptr && info.dli_saddr == launch.kernel) {
        int status = 0;
        std::unique_ptr<char, decltype(&std::free)> demangled(
            abi::__cxa_demangle(info.dli_sname, nullptr, nullptr, &status), &std::free);
        return status == 0 && demangled ? demangled.get() : info.dli_sname;
    }
    // No exported symbol (a static or anonymous-namespace kernel): name its type.
    std::string_view type = launch.kernel_type;
    if (const auto with = type.find("Kernel = "); with != std::string_view::npos) {
        type.remove_prefix(with + 9);
        if (const auto end = type.rfind(']'); end != std::string_view::npos) type = type.substr(0, end);
    }
    return fmt::format("{} at {}", type, launch.kernel);
}

}  // namespace

std::string describe_dim(const dim3& d) { return fmt::format("({},{},{})", d.x, d.y, d.z); }

std::string describe_site(const std::source_location& site) {
    std::string_view file = site.file_name();
    if (const auto slash = file.rfind('/'); slash != std::string_view::npos) file.remove_prefix(slash + 1);
    return fmt::format("{}:{} in {}", file, site.line(), site.function_name());
}

std::string describe_launch(const LaunchInfo& launch) {
    return fmt::format("kernel {} launched at {} with grid {}, block {}, {} bytes of dynamic shared memory",
                       kernel_name(launch), describe_site(launch.site), describe_dim(launch.grid),
                       describe_dim(launch.block), launch.dynamic_shared_bytes);
}

namespace {

// Runs the launch's blocks on the calling thread (at once, or when the host
// waits for the launch's stream).
void execute_grid(const LaunchInfo& launch, ThreadBody body, void* closure) {
    // A faulted device runs nothing more.
    if (device_state() != cudaSuccess) return;
    HostThread& host = host_thread();
    // Exactly the requested size, so that AddressSanitizer reports overruns;
    // none when none was asked for, so that any use faults.
    std::unique_ptr<unsigned char[]> dynamic_shared;
    if (launch.dynamic_shared_bytes > 0) dynamic_shared = std::make_unique<unsigned char[]>(launch.dynamic_shared_bytes);

    const LaunchScope scope(host, launch);
    RaceDetector* race = race_check_enabled() && race_check_available() ? &host.race : nullptr;
    host.runner.set_race_detector(race);
    if (race != nullptr) race->begin_launch(launch, dynamic_shared.get());
    const dim3 grid = launch.grid;
    const std::uint64_t blocks = std::uint64_t{grid.x} * grid.y * grid.z;
    const BlockOrder order(blocks);
    for (std::uint64_t i = 0; i < blocks; ++i) {
        const std::uint64_t b = order[i];
        const uint3 index{static_cast<unsigned>(b % grid.x), static_cast<unsigned>((b / grid.x) % grid.y),
                          static_cast<unsigned>(b / (std::uint64_t{grid.x} * grid.y))};
        blockIdx = index;
        host.runner.run_block(launch, body, closure, index, dynamic_shared.get());
    }
    end_launch();
}

}  // namespace

void run_grid(const LaunchInfo& requested, ThreadBody body, std::shared_ptr<void> closure,
              std::span<const void* const> pointers) {
    // A faulted device takes no more launches.
    if (record_error(device_state()) != cudaSuccess) return;
    if (record_error(check_configuration(requested)) != cudaSuccess) return;
    LaunchInfo launch = requested;
    // Opting in to more dynamic shared memory raises the total a block may use.
    launch.shared_bytes_limit = max_dynamic_shared_bytes(launch.kernel) > default_shared_bytes_per_block
                                    ? device_spec().optin_shared_bytes_per_block
                                    : default_shared_bytes_per_block;
    check_parameter_size(launch);
    if (host_thread().in_launch) {
        throw KernelError(fmt::format("CUDA emulator: {} from inside a kernel; dynamic parallelism is not emulated",
                                      describe_launch(launch)));
    }
    WorkItem work;
    if (async_mode()) {
        for (const void* p : pointers)
            if (const MemoryRange r = range_of(p); r.size > 0) work.ranges.push_back(r);
        work.describe = [launch] { return describe_launch(launch); };
    }
    work.run = [launch, body, closure = std::move(closure)] { execute_grid(launch, body, closure.get()); };
    submit(stream_key(launch.stream), std::move(work));
}

void check_pointer_argument(const LaunchInfo& launch, int index, const void* pointer) {
    if (pointer == nullptr || find_allocation(pointer).has_value()) return;
    throw KernelError(fmt::format(
        "CUDA emulator: argument {} of {} is the pointer {}, which lies in no allocation made by cudaMalloc, "
        "cudaMallocHost, cudaHostAlloc or cudaHostRegister; a GPU could not dereference it",
        index, describe_launch(launch), pointer));
}

// ---- entry points of the device builtins ----------------------------------------------

int block_barrier(BarrierKind kind, int predicate, const std::source_location& site) {
    return runner_on_gpu_thread("__syncthreads", site).wait_at_barrier(kind, predicate, site);
}

std::uint64_t warp_collective(WarpOp op, unsigned mask, std::uint64_t value, unsigned value_size, int lane_arg,
                              int width, const std::source_location& site) {
    BlockRunner& runner = runner_on_gpu_thread("a warp collective", site);
    WarpRequest request;
    request.op = op;
    request.mask = mask;
    request.width = width;
    request.lane_arg = lane_arg;
    request.value_size = value_size;
    request.value = value;
    request.site = site;
    return runner.wait_at_warp_collective(request);
}

unsigned active_lanes() {
    return runner_on_gpu_thread("__activemask", std::source_location::current()).lanes_not_exited();
}

void* shared_variable(SharedSlot& slot, std::size_t size, std::size_t alignment, const std::source_location& site) {
    return runner_on_gpu_thread("PESO_SHARED", site).allocate_shared(slot, size, alignment, site);
}

void* dynamic_shared_memory() {
    return runner_on_gpu_thread("dynamic_shared", std::source_location::current()).dynamic_shared();
}

std::uint64_t race_checked_accesses() { return host_thread().race.checked_accesses(); }

void trap(const std::source_location& site) { runner_on_gpu_thread("__trap", site).trap(site); }

}  // namespace peso::cuda::emu
