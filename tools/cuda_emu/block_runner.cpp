#include "tools/cuda_emu/block_runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <numeric>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define PESO_EMU_POISON(address, size) ASAN_POISON_MEMORY_REGION(address, size)
#define PESO_EMU_UNPOISON(address, size) ASAN_UNPOISON_MEMORY_REGION(address, size)
#else
#define PESO_EMU_POISON(address, size) ((void)(address), (void)(size))
#define PESO_EMU_UNPOISON(address, size) ((void)(address), (void)(size))
#endif

#include "tools/cuda_emu/device_limits.h"
#include "tools/cuda_emu/kernel_error.h"
#include "tools/cuda_emu/race_detector.h"
#include "tools/cuda_emu/thread_order.h"

namespace peso::cuda::emu {
namespace {

// Thrown on a GPU thread's fiber by __trap, and by suspend() in a thread the
// runner abandons; caught at the bottom of that fiber.
struct TrapSignal {};
struct CancelSignal {};

void start_stack_switch(void** fake_stack, const void* bottom, std::size_t size) {
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_start_switch_fiber(fake_stack, bottom, size);
#else
    (void)fake_stack, (void)bottom, (void)size;
#endif
}

void finish_stack_switch(void* fake_stack, const void** bottom_old, std::size_t* size_old) {
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_finish_switch_fiber(fake_stack, bottom_old, size_old);
#else
    (void)fake_stack, (void)bottom_old, (void)size_old;
#endif
}

// Values read from a lane that takes no part in a collective are undefined on a
// GPU; a NaN (for floating types) or an odd pattern makes their use visible.
std::uint64_t poison_bits(unsigned size) {
    switch (size) {
        case 2: return 0x7eadu;
        case 4: return 0x7ff0deadu;
        default: return 0x7ff8deaddeaddeadull;
    }
}

bool same_site(const std::source_location& a, const std::source_location& b) {
    return a.line() == b.line() && a.column() == b.column() &&
           (a.file_name() == b.file_name() || std::strcmp(a.file_name(), b.file_name()) == 0);
}

bool same_collective(const WarpRequest& a, const WarpRequest& b) {
    return a.op == b.op && a.mask == b.mask && a.width == b.width && a.value_size == b.value_size;
}

bool names_lane(unsigned mask, unsigned lane) { return ((mask >> lane) & 1u) != 0; }

const char* barrier_name(BarrierKind kind) {
    switch (kind) {
        case BarrierKind::sync: return "__syncthreads";
        case BarrierKind::count: return "__syncthreads_count";
        case BarrierKind::all: return "__syncthreads_and";
        case BarrierKind::any: return "__syncthreads_or";
    }
    return "?";
}

const char* warp_op_name(WarpOp op) {
    switch (op) {
        case WarpOp::shfl: return "__shfl_sync";
        case WarpOp::shfl_up: return "__shfl_up_sync";
        case WarpOp::shfl_down: return "__shfl_down_sync";
        case WarpOp::shfl_xor: return "__shfl_xor_sync";
        case WarpOp::syncwarp: return "__syncwarp";
        case WarpOp::ballot: return "__ballot_sync";
        case WarpOp::any: return "__any_sync";
        case WarpOp::all: return "__all_sync";
        case WarpOp::reduce_add_unsigned:
        case WarpOp::reduce_add_signed: return "__reduce_add_sync";
        case WarpOp::reduce_min_unsigned:
        case WarpOp::reduce_min_signed: return "__reduce_min_sync";
        case WarpOp::reduce_max_unsigned:
        case WarpOp::reduce_max_signed: return "__reduce_max_sync";
        case WarpOp::reduce_and: return "__reduce_and_sync";
        case WarpOp::reduce_or: return "__reduce_or_sync";
        case WarpOp::reduce_xor: return "__reduce_xor_sync";
    }
    return "?";
}

std::string describe_collective(const WarpRequest& r) {
    return fmt::format("{}(mask {:#010x}) at {}", warp_op_name(r.op), r.mask, describe_site(r.site));
}

// The lane whose value `lane` reads in a shuffle; `lane` itself when the
// source lies outside its segment of `width` lanes, as CUDA defines it.
unsigned shuffle_source(const WarpRequest& r, unsigned lane) {
    const unsigned width = static_cast<unsigned>(r.width);
    const unsigned segment = lane & ~(width - 1);
    switch (r.op) {
        case WarpOp::shfl: return segment + (static_cast<unsigned>(r.lane_arg) & (width - 1));
        case WarpOp::shfl_up: {
            const unsigned delta = static_cast<unsigned>(r.lane_arg);
            return lane >= segment + delta ? lane - delta : lane;
        }
        case WarpOp::shfl_down: {
            const unsigned source = lane + static_cast<unsigned>(r.lane_arg);
            return source < segment + width ? source : lane;
        }
        default: {
            const unsigned source = lane ^ static_cast<unsigned>(r.lane_arg);
            return source < segment + width ? source : lane;
        }
    }
}

std::uint64_t reduce(WarpOp op, const std::vector<std::uint32_t>& values) {
    const auto as_signed = [](std::uint32_t v) { return static_cast<std::int32_t>(v); };
    std::uint32_t acc = values.front();
    for (std::size_t i = 1; i < values.size(); ++i) {
        const std::uint32_t v = values[i];
        switch (op) {
            case WarpOp::reduce_add_unsigned:
            case WarpOp::reduce_add_signed: acc += v; break;
            case WarpOp::reduce_min_unsigned: acc = std::min(acc, v); break;
            case WarpOp::reduce_max_unsigned: acc = std::max(acc, v); break;
            case WarpOp::reduce_min_signed: acc = as_signed(v) < as_signed(acc) ? v : acc; break;
            case WarpOp::reduce_max_signed: acc = as_signed(v) > as_signed(acc) ? v : acc; break;
            case WarpOp::reduce_and: acc &= v; break;
            case WarpOp::reduce_or: acc |= v; break;
            default: acc ^= v; break;
        }
    }
    return acc;
}

bool is_shuffle(WarpOp op) {
    return op == WarpOp::shfl || op == WarpOp::shfl_up || op == WarpOp::shfl_down || op == WarpOp::shfl_xor;
}

// Room for the 48 KiB a block may declare statically, plus the redzones.
constexpr std::size_t shared_redzone = 32;
constexpr std::size_t shared_arena_bytes = default_shared_bytes_per_block + 256 * shared_redzone;

std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

}  // namespace

// ---- running a block -----------------------------------------------------------

BlockRunner::BlockRunner(FiberStackPool& stacks) : stacks_(stacks), shared_arena_(shared_arena_bytes) {}

BlockRunner::~BlockRunner() { PESO_EMU_UNPOISON(shared_arena_.data(), shared_arena_.size()); }

void BlockRunner::run_block(const LaunchInfo& launch, ThreadBody body, void* closure, uint3 block_index,
                            unsigned char* dynamic_shared) {
    launch_ = &launch;
    body_ = body;
    closure_ = closure;
    dynamic_shared_ = dynamic_shared;
    start_block(block_index);
    try {
        for (;;) {
            run_until_stuck();
            const bool finished = std::all_of(threads_.begin(), threads_.end(),
                                              [](const EmulatedThread& t) { return t.state == ThreadState::exited; });
            if (finished) break;
            release_barrier();
        }
    } catch (...) {
        abandon_threads();
        throw;
    }
}

void BlockRunner::start_block(uint3 block_index) {
    block_index_ = block_index;
    const dim3 block = launch_->block;
    const unsigned count = block.x * block.y * block.z;
    threads_.clear();
    threads_.resize(count);
    for (unsigned i = 0; i < count; ++i) {
        EmulatedThread& t = threads_[i];
        t.linear = i;
        t.index = uint3{i % block.x, (i / block.x) % block.y, i / (block.x * block.y)};
    }
    barriers_passed_ = 0;
    const std::uint64_t block_linear =
        block_index.x + std::uint64_t{launch_->grid.x} * (block_index.y + std::uint64_t{launch_->grid.y} * block_index.z);
    shuffle_.seed(splitmix64(random_order_seed() ^ splitmix64(block_linear)));
    // Uninitialized shared memory reads as NaN, not as a convenient zero.
    if (dynamic_shared_ != nullptr) std::memset(dynamic_shared_, 0xff, launch_->dynamic_shared_bytes);
    ++block_serial_;
    PESO_EMU_UNPOISON(shared_arena_.data(), shared_arena_.size());
    shared_high_water_ = std::max(shared_high_water_, shared_offset_);
    std::memset(shared_arena_.data(), 0xff, shared_high_water_);
    PESO_EMU_POISON(shared_arena_.data(), shared_arena_.size());
    shared_offset_ = shared_redzone;
    shared_bytes_ = 0;
    if (race_ != nullptr) race_->begin_block(block_index, count, shared_arena_.data(), shared_arena_.size());
}

void* BlockRunner::allocate_shared(SharedSlot& slot, std::size_t size, std::size_t alignment,
                                   const std::source_location& site) {
    if (slot.block_serial == block_serial_) return slot.address;
    const std::size_t align = std::max<std::size_t>(alignment, 16);
    const std::size_t offset = (shared_offset_ + align - 1) / align * align;
    shared_bytes_ += size;
    if (shared_bytes_ > default_shared_bytes_per_block ||
        shared_bytes_ + launch_->dynamic_shared_bytes > launch_->shared_bytes_limit) {
        fail(fmt::format("the block declares {} bytes of static shared memory with the variable at {}, and the "
                         "launch asks for {} bytes of dynamic shared memory; CUDA allows {} bytes of static shared "
                         "memory and {} bytes in all for this kernel",
                         shared_bytes_, describe_site(site), launch_->dynamic_shared_bytes,
                         default_shared_bytes_per_block, launch_->shared_bytes_limit));
    }
    if (offset + size + shared_redzone > shared_arena_.size()) {
        fail(fmt::format("too many shared memory variables in one block (at {})", describe_site(site)));
    }
    shared_offset_ = offset + size + shared_redzone;
    slot.block_serial = block_serial_;
    slot.address = shared_arena_.data() + offset;
    PESO_EMU_UNPOISON(slot.address, size);
    if (race_ != nullptr) race_->note_shared_variable(slot.address, size, site);
    return slot.address;
}

void BlockRunner::run_until_stuck() {
    bool progressed = true;
    while (progressed) {
        progressed = false;
        fill_sweep_order();
        for (const unsigned i : sweep_order_) {
            EmulatedThread& t = threads_[i];
            if (t.state != ThreadState::runnable) continue;
            resume(t);
            progressed = true;
            if (t.error) std::rethrow_exception(t.error);
            if (race_ != nullptr) {
                if (const auto race = race_->take_report()) fail(*race);
            }
            if (t.trapped) {
                fail(fmt::format("{} called __trap() at {}", describe_thread(t), describe_site(t.trap_site)));
            }
            if (t.state == ThreadState::at_warp_collective) {
                check_warp_request(t);
                try_complete_warp_collective(t);
            } else if (t.state == ThreadState::exited) {
                on_exit(t);
            }
        }
    }
}

void BlockRunner::fill_sweep_order() {
    const auto count = static_cast<unsigned>(threads_.size());
    if (sweep_order_.size() != count) sweep_order_.resize(count);
    std::iota(sweep_order_.begin(), sweep_order_.end(), 0u);
    switch (thread_order()) {
        case ThreadOrder::forward: break;
        case ThreadOrder::reverse: std::reverse(sweep_order_.begin(), sweep_order_.end()); break;
        case ThreadOrder::random: std::shuffle(sweep_order_.begin(), sweep_order_.end(), shuffle_); break;
    }
}

// ---- fibers ------------------------------------------------------------------------
// Every switch between the runner and a GPU thread goes through resume() and
// suspend(), which tell AddressSanitizer which stack execution moves to: an
// exception thrown on a fiber (a kernel's error, __trap, a cancelled thread)
// makes ASan clean the stack it believes is current. Threads are never
// destroyed while suspended (Boost would unwind them behind ASan's back);
// abandon_threads() resumes them with `cancelled` set and lets them unwind.

boost::context::fiber BlockRunner::make_fiber(EmulatedThread& thread) {
    return boost::context::fiber(std::allocator_arg, PooledStackAllocator(stacks_),
                                 [this, &thread](boost::context::fiber&& scheduler) {
                                     finish_stack_switch(nullptr, &runner_stack_bottom_, &runner_stack_size_);
                                     thread.scheduler = std::move(scheduler);
                                     try {
                                         body_(closure_);
                                     } catch (const boost::context::detail::forced_unwind&) {
                                         throw;
                                     } catch (const CancelSignal&) {
                                     } catch (const TrapSignal&) {
                                         thread.trapped = true;
                                     } catch (...) {
                                         thread.error = std::current_exception();
                                     }
                                     thread.state = ThreadState::exited;
                                     start_stack_switch(nullptr, runner_stack_bottom_, runner_stack_size_);
                                     return std::move(thread.scheduler);
                                 });
}

void BlockRunner::resume(EmulatedThread& thread) {
    if (!thread.started) {
        thread.fiber = make_fiber(thread);
        thread.stack = stacks_.last_allocated();
        thread.started = true;
    }
    current_ = &thread;
    threadIdx = thread.index;
    void* runner_fake_stack = nullptr;
    char* const stack_low = static_cast<char*>(thread.stack.sp) - thread.stack.size;
    if (race_ != nullptr) race_->enter_thread(thread.linear, stack_low, thread.stack.size);
    start_stack_switch(&runner_fake_stack, stack_low, thread.stack.size);
    thread.fiber = std::move(thread.fiber).resume();
    finish_stack_switch(runner_fake_stack, nullptr, nullptr);
    if (race_ != nullptr) race_->leave_thread();
    current_ = nullptr;
}

void BlockRunner::suspend(EmulatedThread& thread) {
    void* fiber_fake_stack = nullptr;
    start_stack_switch(&fiber_fake_stack, runner_stack_bottom_, runner_stack_size_);
    thread.scheduler = std::move(thread.scheduler).resume();
    finish_stack_switch(fiber_fake_stack, &runner_stack_bottom_, &runner_stack_size_);
    if (thread.cancelled) throw CancelSignal{};
}

void BlockRunner::abandon_threads() noexcept {
    for (EmulatedThread& t : threads_) {
        if (!t.fiber) continue;  // never started, or finished
        t.cancelled = true;
        resume(t);  // it unwinds from its barrier or collective and exits
    }
    current_ = nullptr;
    threads_.clear();
    stacks_.unpoison_free_stacks();
}

// ---- called on a GPU thread's fiber ------------------------------------------------------

int BlockRunner::wait_at_barrier(BarrierKind kind, int predicate, const std::source_location& site) {
    EmulatedThread& t = *current_;
    t.barrier = BarrierRequest{kind, predicate, site, 0};
    t.state = ThreadState::at_barrier;
    suspend(t);
    return t.barrier.result;
}

std::uint64_t BlockRunner::wait_at_warp_collective(const WarpRequest& request) {
    EmulatedThread& t = *current_;
    t.warp = request;
    t.state = ThreadState::at_warp_collective;
    suspend(t);
    return t.warp.result;
}

unsigned BlockRunner::lanes_not_exited() const {
    const unsigned warp = warp_of(*current_);
    unsigned mask = 0;
    for (unsigned lane = 0; lane < lanes_in_warp(warp); ++lane) {
        if (threads_[warp * 32 + lane].state != ThreadState::exited) mask |= 1u << lane;
    }
    return mask;
}

void BlockRunner::trap(const std::source_location& site) {
    current_->trap_site = site;
    throw TrapSignal{};
}

// ---- __syncthreads ----------------------------------------------------------------------

void BlockRunner::release_barrier() {
    const EmulatedThread* waiting = nullptr;
    const EmulatedThread* exited = nullptr;
    unsigned waiting_count = 0;
    unsigned exited_count = 0;
    for (const EmulatedThread& t : threads_) {
        if (t.state == ThreadState::at_warp_collective) fail_stuck_warp();
        if (t.state == ThreadState::at_barrier) {
            if (waiting == nullptr) waiting = &t;
            ++waiting_count;
        } else if (t.state == ThreadState::exited) {
            if (exited == nullptr) exited = &t;
            ++exited_count;
        }
    }
    if (exited_count > 0) {
        fail(fmt::format("barrier divergence: {} of {} threads wait at {} #{} ({}), but {} exited without reaching "
                         "it, the first being {}",
                         waiting_count, threads_.size(), barrier_name(waiting->barrier.kind), barriers_passed_ + 1,
                         describe_site(waiting->barrier.site),
                         exited_count == 1 ? std::string("1 thread") : fmt::format("{} threads", exited_count),
                         describe_thread(*exited)));
    }
    int count = 0;
    for (const EmulatedThread& t : threads_) {
        if (t.barrier.kind != waiting->barrier.kind || !same_site(t.barrier.site, waiting->barrier.site)) {
            fail(fmt::format("barrier divergence: at barrier #{} of the block, {} waits at {} ({}) but {} waits at "
                             "{} ({})",
                             barriers_passed_ + 1, describe_thread(*waiting), barrier_name(waiting->barrier.kind),
                             describe_site(waiting->barrier.site), describe_thread(t), barrier_name(t.barrier.kind),
                             describe_site(t.barrier.site)));
        }
        if (t.barrier.predicate != 0) ++count;
    }
    int result = 0;
    switch (waiting->barrier.kind) {
        case BarrierKind::sync: break;
        case BarrierKind::count: result = count; break;
        case BarrierKind::all: result = count == static_cast<int>(threads_.size()) ? 1 : 0; break;
        case BarrierKind::any: result = count > 0 ? 1 : 0; break;
    }
    ++barriers_passed_;
    if (race_ != nullptr) race_->on_barrier();
    for (EmulatedThread& t : threads_) {
        t.barrier.result = result;
        t.state = ThreadState::runnable;
    }
}

// ---- warp collectives ------------------------------------------------------------------------
// A lane waiting at a collective is released once every other lane its mask
// names has either exited (or does not exist, in a partial last warp) or waits
// at the same collective with the same mask, as PTX defines the .sync
// instructions. Lanes that take no part read as poison.

unsigned BlockRunner::lanes_in_warp(unsigned warp) const {
    const auto count = static_cast<unsigned>(threads_.size());
    return std::min(32u, count - warp * 32);
}

void BlockRunner::check_warp_request(const EmulatedThread& t) const {
    const WarpRequest& r = t.warp;
    if (r.width < 1 || r.width > 32 || (r.width & (r.width - 1)) != 0) {
        fail(fmt::format("{} calls {} with width {}; CUDA requires a power of two from 1 to 32", describe_thread(t),
                         describe_collective(r), r.width));
    }
    if (!names_lane(r.mask, lane_of(t))) {
        fail(fmt::format("{} calls {}, whose mask does not name the calling lane {}", describe_thread(t),
                         describe_collective(r), lane_of(t)));
    }
    const unsigned warp = warp_of(t);
    for (unsigned lane = 0; lane < lanes_in_warp(warp); ++lane) {
        const EmulatedThread& u = threads_[warp * 32 + lane];
        if (&u == &t || !names_lane(r.mask, lane) || u.state != ThreadState::at_warp_collective) continue;
        // Each waits for the other at a different collective: neither can ever go on.
        if (!same_collective(u.warp, r) && names_lane(u.warp.mask, lane_of(t))) {
            fail(fmt::format("mismatched warp collectives: {} calls {}, while {} waits at {}; each mask names the "
                             "other lane, so both wait forever",
                             describe_thread(t), describe_collective(r), describe_thread(u),
                             describe_collective(u.warp)));
        }
    }
}

void BlockRunner::try_complete_warp_collective(const EmulatedThread& t) {
    const WarpRequest request = t.warp;
    const unsigned warp = warp_of(t);
    for (unsigned lane = 0; lane < lanes_in_warp(warp); ++lane) {
        if (!names_lane(request.mask, lane)) continue;
        const EmulatedThread& u = threads_[warp * 32 + lane];
        if (u.state == ThreadState::exited) continue;
        if (u.state != ThreadState::at_warp_collective || !same_collective(u.warp, request)) return;
    }
    complete_warp_collective(warp, request);
}

void BlockRunner::on_exit(const EmulatedThread& t) {
    // An exiting lane may be the last one that lanes waiting at a collective were waiting for.
    const unsigned warp = warp_of(t);
    for (unsigned lane = 0; lane < lanes_in_warp(warp); ++lane) {
        const EmulatedThread& u = threads_[warp * 32 + lane];
        if (u.state == ThreadState::at_warp_collective && names_lane(u.warp.mask, lane_of(t))) {
            try_complete_warp_collective(u);
        }
    }
}

void BlockRunner::complete_warp_collective(unsigned warp, const WarpRequest& request) {
    const unsigned lanes = lanes_in_warp(warp);
    unsigned taking_part = 0;
    for (unsigned lane = 0; lane < lanes; ++lane) {
        if (names_lane(request.mask, lane) && threads_[warp * 32 + lane].state == ThreadState::at_warp_collective) {
            taking_part |= 1u << lane;
        }
    }
    std::uint64_t common = 0;
    if (request.op == WarpOp::ballot || request.op == WarpOp::any || request.op == WarpOp::all) {
        unsigned ballot = 0;
        for (unsigned lane = 0; lane < lanes; ++lane) {
            if (names_lane(taking_part, lane) && threads_[warp * 32 + lane].warp.value != 0) ballot |= 1u << lane;
        }
        common = request.op == WarpOp::ballot ? ballot
                 : request.op == WarpOp::any  ? (ballot != 0 ? 1 : 0)
                                              : (ballot == taking_part ? 1 : 0);
    } else if (!is_shuffle(request.op) && request.op != WarpOp::syncwarp) {
        std::vector<std::uint32_t> values;
        for (unsigned lane = 0; lane < lanes; ++lane) {
            if (names_lane(taking_part, lane)) {
                values.push_back(static_cast<std::uint32_t>(threads_[warp * 32 + lane].warp.value));
            }
        }
        common = reduce(request.op, values);
    }
    for (unsigned lane = 0; lane < lanes; ++lane) {
        if (!names_lane(taking_part, lane)) continue;
        EmulatedThread& u = threads_[warp * 32 + lane];
        if (is_shuffle(request.op)) {
            const unsigned source = shuffle_source(request, lane);
            u.warp.result = source < lanes && names_lane(taking_part, source) ? threads_[warp * 32 + source].warp.value
                                                                              : poison_bits(request.value_size);
        } else {
            u.warp.result = common;
        }
        u.last_collective = u.warp;
        u.has_last_collective = true;
        u.state = ThreadState::runnable;
    }
    if (race_ != nullptr) race_->on_warp_sync(warp, taking_part);
}

void BlockRunner::fail_stuck_warp() const {
    for (const EmulatedThread& t : threads_) {
        if (t.state != ThreadState::at_warp_collective) continue;
        const unsigned warp = warp_of(t);
        for (unsigned lane = 0; lane < lanes_in_warp(warp); ++lane) {
            const EmulatedThread& u = threads_[warp * 32 + lane];
            if (&u == &t || !names_lane(t.warp.mask, lane) || u.state == ThreadState::exited) continue;
            if (u.state == ThreadState::at_warp_collective && same_collective(u.warp, t.warp)) continue;
            fail(fmt::format("warp collective deadlock: {} waits at {} for lane {}, but {} {}", describe_thread(t),
                             describe_collective(t.warp), lane, describe_thread(u), describe_wait(u)));
        }
    }
    fail("warp collective deadlock");  // unreachable: some waiting lane always has a missing partner
}

// ---- messages ----------------------------------------------------------------------------

std::string BlockRunner::describe_thread(const EmulatedThread& t) const {
    return fmt::format("thread ({},{},{}) [warp {} lane {}]", t.index.x, t.index.y, t.index.z, warp_of(t), lane_of(t));
}

std::string BlockRunner::describe_wait(const EmulatedThread& t) const {
    switch (t.state) {
        case ThreadState::at_barrier:
            return fmt::format("waits at {} ({})", barrier_name(t.barrier.kind), describe_site(t.barrier.site));
        case ThreadState::at_warp_collective: return fmt::format("waits at {}", describe_collective(t.warp));
        case ThreadState::exited: return "has exited";
        case ThreadState::runnable: return "is runnable";
    }
    return "?";
}

void BlockRunner::fail(const std::string& problem) const {
    throw KernelError(fmt::format("CUDA emulator: {}; in block ({},{},{}) of {}, thread order {}", problem,
                                  block_index_.x, block_index_.y, block_index_.z, describe_launch(*launch_),
                                  describe_thread_order()));
}

}  // namespace peso::cuda::emu
