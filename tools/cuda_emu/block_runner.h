#pragma once
// Runs one block of an emulated launch: each GPU thread is a fiber that runs
// until it reaches a barrier, a warp collective or its end; the runner then
// switches to the next thread in the chosen order. A __syncthreads releases
// once every thread of the block waits at it; a warp collective completes once
// every lane its mask names has arrived at the same collective. When no thread
// can run and the block is not finished, the block is stuck: a GPU would hang
// or compute garbage, and the runner throws KernelError saying why.
#include <boost/context/fiber.hpp>
#include <cstdint>
#include <exception>
#include <random>
#include <source_location>
#include <vector>

#include "tools/cuda_emu/device_builtins.h"
#include "tools/cuda_emu/fiber_stack_pool.h"
#include "tools/cuda_emu/grid_launch.h"
#include "tools/cuda_emu/launch_info.h"
#include "tools/cuda_emu/shared_memory.h"

namespace peso::cuda::emu {

class RaceDetector;

enum class ThreadState : std::uint8_t { runnable, at_barrier, at_warp_collective, exited };

struct BarrierRequest {
    BarrierKind kind = BarrierKind::sync;
    int predicate = 0;
    std::source_location site;
    int result = 0;
};

struct WarpRequest {
    WarpOp op = WarpOp::syncwarp;
    unsigned mask = 0;
    int width = 32;
    int lane_arg = 0;
    unsigned value_size = 0;
    std::uint64_t value = 0;
    std::source_location site;
    std::uint64_t result = 0;
};

struct EmulatedThread {
    boost::context::fiber fiber;      // the GPU thread, while it is suspended
    boost::context::fiber scheduler;  // the runner, while the GPU thread runs
    uint3 index{};
    unsigned linear = 0;
    ThreadState state = ThreadState::runnable;
    bool started = false;
    bool cancelled = false;                 // abandoned: unwind at the next switch
    boost::context::stack_context stack{};  // for AddressSanitizer's fiber annotations
    bool trapped = false;
    std::source_location trap_site;
    BarrierRequest barrier;
    WarpRequest warp;
    bool has_last_collective = false;
    WarpRequest last_collective;  // the last completed one, to explain a later hang
    std::exception_ptr error;
};

class BlockRunner {
public:
    explicit BlockRunner(FiberStackPool& stacks);
    ~BlockRunner();
    BlockRunner(const BlockRunner&) = delete;
    BlockRunner& operator=(const BlockRunner&) = delete;

    // Runs block `block_index` of the launch to its end; throws KernelError
    // (or the kernel's own exception) and leaves no fiber behind on failure.
    void run_block(const LaunchInfo& launch, ThreadBody body, void* closure, uint3 block_index,
                   unsigned char* dynamic_shared);

    // For the builtins, called on the fiber of the current GPU thread.
    int wait_at_barrier(BarrierKind kind, int predicate, const std::source_location& site);
    std::uint64_t wait_at_warp_collective(const WarpRequest& request);
    unsigned lanes_not_exited() const;
    unsigned char* dynamic_shared() const { return dynamic_shared_; }
    void* allocate_shared(SharedSlot& slot, std::size_t size, std::size_t alignment, const std::source_location& site);
    bool on_gpu_thread() const { return current_ != nullptr; }
    // The launch's race detector (race_detector.h), told of every switch and
    // synchronization; nullptr when the launch is not checked.
    void set_race_detector(RaceDetector* detector) { race_ = detector; }
    [[noreturn]] void trap(const std::source_location& site);

private:
    void start_block(uint3 block_index);
    void run_until_stuck();
    void resume(EmulatedThread& thread);
    void suspend(EmulatedThread& thread);
    boost::context::fiber make_fiber(EmulatedThread& thread);
    void fill_sweep_order();
    void release_barrier();
    void try_complete_warp_collective(const EmulatedThread& waiting);
    void on_exit(const EmulatedThread& thread);
    void complete_warp_collective(unsigned warp, const WarpRequest& request);
    void abandon_threads() noexcept;

    unsigned warp_of(const EmulatedThread& t) const { return t.linear / 32; }
    unsigned lane_of(const EmulatedThread& t) const { return t.linear % 32; }
    unsigned lanes_in_warp(unsigned warp) const;
    EmulatedThread& thread_at(unsigned warp, unsigned lane) { return threads_[warp * 32 + lane]; }

    [[noreturn]] void fail(const std::string& problem) const;
    std::string describe_thread(const EmulatedThread& t) const;
    std::string describe_wait(const EmulatedThread& t) const;
    void check_warp_request(const EmulatedThread& t) const;
    [[noreturn]] void fail_stuck_warp() const;

    FiberStackPool& stacks_;
    const LaunchInfo* launch_ = nullptr;
    ThreadBody body_ = nullptr;
    void* closure_ = nullptr;
    unsigned char* dynamic_shared_ = nullptr;
    uint3 block_index_{};
    std::vector<EmulatedThread> threads_;
    std::vector<unsigned> sweep_order_;
    std::mt19937_64 shuffle_;
    unsigned barriers_passed_ = 0;
    EmulatedThread* current_ = nullptr;
    RaceDetector* race_ = nullptr;

    // Static shared memory: PESO_SHARED variables, laid out as the block's
    // threads first reach them, with poisoned redzones between them under
    // AddressSanitizer.
    std::vector<unsigned char> shared_arena_;
    std::size_t shared_offset_ = 0;       // next free byte of the arena
    std::size_t shared_bytes_ = 0;        // what the block's variables use, without redzones
    std::size_t shared_high_water_ = 0;   // arena bytes dirtied by earlier blocks
    std::uint64_t block_serial_ = 0;      // tells SharedSlots of earlier blocks apart

    // The host thread's stack, as AddressSanitizer reports it on each switch to a fiber.
    const void* runner_stack_bottom_ = nullptr;
    std::size_t runner_stack_size_ = 0;
};

}  // namespace peso::cuda::emu
