#pragma once
// The emulator's race detectors, in the manner of the Linux kernel's KCSAN:
// the kernels' loads and stores reach access() through the ThreadSanitizer
// hooks (tsan_hooks.cpp), and the block runner reports every synchronization.
//
// Happens-before inside a launch is simple, and is all that is tracked:
// - blocks are unordered with each other;
// - in a block, a __syncthreads orders everything before it before everything
//   after it (its *barrier interval*);
// - lanes of one warp are ordered by a warp collective both take part in
//   (__syncwarp, shuffles, votes), transitively: a vector clock per lane.
// Time is a process-wide *sync serial* that grows at every launch, block,
// barrier and collective; an access is recorded with the serial current when
// it happens. Two accesses to one byte, by different threads, at least one a
// write and not both atomic, that are not ordered, are a race: in shared
// memory (per byte) and in global memory (a device allocation, per 4-byte
// word with a byte mask). The first one found stops the block with a
// KernelError naming both threads and both source lines, whatever the order in
// which the emulator happened to run them.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <source_location>
#include <string>
#include <vector>

#include "tools/cuda_emu/launch_info.h"
#include "tools/cuda_emu/race_shadow.h"

namespace peso::cuda::emu {

enum class AccessKind : std::uint8_t { read, write, atomic_read, atomic_write };

class RaceDetector {
public:
    RaceDetector();
    ~RaceDetector();
    RaceDetector(const RaceDetector&) = delete;
    RaceDetector& operator=(const RaceDetector&) = delete;

    // ---- from the emulator, on the host thread's own stack
    void begin_launch(const LaunchInfo& launch, const unsigned char* dynamic_shared);
    void begin_block(uint3 block_index, unsigned threads, const unsigned char* shared_arena, std::size_t arena_bytes);
    void note_shared_variable(const void* address, std::size_t size, const std::source_location& site);
    void on_barrier();
    void on_warp_sync(unsigned warp, unsigned lanes);
    // The race found since the last call, described; nullopt when none.
    std::optional<std::string> take_report();
    std::uint64_t checked_accesses() const { return checked_; }

    // Around each switch to a GPU thread's fiber: while it runs, its accesses are checked.
    void enter_thread(unsigned linear, const void* stack_low, std::size_t stack_bytes);
    void leave_thread();

    // ---- from the hooks, on a GPU thread's fiber
    void access(const void* address, std::size_t size, AccessKind kind, const void* code);

private:
    struct Allocation {
        std::uintptr_t begin;
        std::size_t size;
        ShadowRegion* shadow;  // made on first access
    };
    struct SharedVariable {
        std::uintptr_t begin;
        std::size_t size;
        std::source_location site;
    };
    struct Conflict {
        const ShadowRegion* region;
        bool shared;
        std::uintptr_t address;
        std::size_t size;
        AccessKind kind;
        const void* code;
        AccessRecord earlier;
        bool earlier_write;
        std::int32_t earlier_code;
    };

    void refresh_allocations();
    ShadowRegion* region_of(std::uintptr_t address);
    struct Probe {
        std::uint64_t serial;        // now
        std::uint64_t stale_before;  // records older than this are of earlier launches (or blocks)
        AccessKind kind;
        std::int32_t code;
    };
    int check_cell(ShadowRegion& region, std::size_t cell, unsigned byte_mask, const Probe& probe);
    bool ordered_before_now(AccessRecord r) const;
    std::string describe_earlier_thread(AccessRecord r) const;
    std::string describe_place(const Conflict& c) const;

    // The launch, block and thread running now.
    const LaunchInfo* launch_ = nullptr;
    std::uint64_t launch_serial_ = 0;
    std::uint64_t block_serial_ = 0;
    std::uint64_t barrier_serial_ = 0;
    unsigned barriers_ = 0;  // passed by the block, for messages
    std::vector<std::pair<std::uint64_t, uint3>> block_starts_;  // to name the block of an earlier access
    std::vector<std::uint64_t> lane_clocks_;  // per thread, 32 entries: what it knows of its warp's lanes
    unsigned thread_ = 0;
    std::uintptr_t stack_low_ = 0;
    std::size_t stack_bytes_ = 0;

    // Shared memory: the runner's static arena (the same from block to block) and the launch's dynamic buffer.
    std::unique_ptr<ShadowRegion> arena_;
    std::unique_ptr<ShadowRegion> dynamic_;
    std::vector<SharedVariable> shared_variables_;

    // Global memory: every allocation, sorted, with the shadows made so far (kept from launch to launch).
    std::uint64_t allocations_generation_ = ~std::uint64_t{0};
    std::vector<Allocation> allocations_;
    std::size_t last_hit_ = 0;
    std::map<std::pair<std::uintptr_t, std::size_t>, std::unique_ptr<ShadowRegion>> shadows_;

    std::optional<Conflict> conflict_;  // the first race of the launch; later accesses go unchecked
    bool reported_ = false;
    std::uint64_t checked_ = 0;
};

}  // namespace peso::cuda::emu
