#include "tools/cuda_emu/race_detector.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>

#include "tools/cuda_emu/code_address.h"
#include "tools/cuda_emu/device_memory.h"
#include "tools/cuda_emu/tsan_hooks.h"

namespace peso::cuda::emu {
namespace {

// Process-wide time of the detectors; 0 marks an empty record.
std::atomic<std::uint64_t> sync_serial{1};

std::uint64_t next_serial() { return sync_serial.fetch_add(1, std::memory_order_relaxed) + 1; }
std::uint64_t current_serial() { return sync_serial.load(std::memory_order_relaxed); }

// Code addresses are kept as 32-bit offsets from a function of the program;
// 0 means unknown (a kernel more than 2 GiB away).
void code_anchor() {}

std::int32_t encode_code(const void* code) {
    const auto offset = static_cast<std::int64_t>(reinterpret_cast<std::uintptr_t>(code) -
                                                  reinterpret_cast<std::uintptr_t>(&code_anchor));
    return offset > INT32_MIN && offset <= INT32_MAX ? static_cast<std::int32_t>(offset) : 0;
}

const void* decode_code(std::int32_t code) {
    if (code == 0) return nullptr;
    return reinterpret_cast<const void*>(reinterpret_cast<std::uintptr_t>(&code_anchor) + code);
}

bool is_write(AccessKind kind) { return kind == AccessKind::write || kind == AccessKind::atomic_write; }
bool is_atomic(AccessKind kind) { return kind == AccessKind::atomic_read || kind == AccessKind::atomic_write; }

const char* present_verb(AccessKind kind) {
    switch (kind) {
        case AccessKind::read: return "reads";
        case AccessKind::write: return "writes";
        case AccessKind::atomic_read: return "atomically reads";
        case AccessKind::atomic_write: return "atomically updates";
    }
    return "?";
}

const char* past_verb(bool write, bool atomic) {
    if (write) return atomic ? "atomically updated" : "wrote";
    return atomic ? "atomically read" : "read";
}

std::string describe_index(unsigned linear, const dim3& block) {
    const unsigned x = linear % block.x;
    const unsigned y = (linear / block.x) % block.y;
    const unsigned z = linear / (block.x * block.y);
    return fmt::format("thread ({},{},{}) [warp {} lane {}]", x, y, z, linear / 32, linear % 32);
}

}  // namespace

RaceDetector::RaceDetector() = default;
RaceDetector::~RaceDetector() { set_active_race_detector(nullptr); }

// ---- launches, blocks, synchronization ----------------------------------------------

void RaceDetector::begin_launch(const LaunchInfo& launch, const unsigned char* dynamic_shared) {
    launch_ = &launch;
    launch_serial_ = next_serial();
    block_starts_.clear();
    conflict_.reset();
    reported_ = false;
    dynamic_.reset();
    if (dynamic_shared != nullptr) {
        dynamic_ = std::make_unique<ShadowRegion>(reinterpret_cast<std::uintptr_t>(dynamic_shared),
                                                  launch.dynamic_shared_bytes, 2);
    }
    refresh_allocations();
}

void RaceDetector::begin_block(uint3 block_index, unsigned threads, const unsigned char* shared_arena,
                               std::size_t arena_bytes) {
    block_serial_ = barrier_serial_ = next_serial();
    barriers_ = 0;
    // No reset: a clock left by an earlier block is older than any access of
    // this one, so it orders nothing, as a zero would.
    if (lane_clocks_.size() < std::size_t{threads} * 32) lane_clocks_.resize(std::size_t{threads} * 32);
    block_starts_.emplace_back(block_serial_, block_index);
    const auto arena = reinterpret_cast<std::uintptr_t>(shared_arena);
    if (!arena_ || arena_->begin() != arena || arena_->size() != arena_bytes) {
        arena_ = std::make_unique<ShadowRegion>(arena, arena_bytes, 2);
    }
    shared_variables_.clear();
}

void RaceDetector::note_shared_variable(const void* address, std::size_t size, const std::source_location& site) {
    shared_variables_.push_back(SharedVariable{reinterpret_cast<std::uintptr_t>(address), size, site});
}

void RaceDetector::on_barrier() {
    barrier_serial_ = next_serial();
    ++barriers_;
}

// The lanes that took part now know everything each of them knew, and that
// each of them reached this collective.
void RaceDetector::on_warp_sync(unsigned warp, unsigned lanes) {
    const std::uint64_t serial = next_serial();
    std::uint64_t merged[32] = {};
    const auto clocks_of = [&](unsigned lane) { return lane_clocks_.data() + (std::size_t{warp} * 32 + lane) * 32; };
    for (unsigned lane = 0; lane < 32; ++lane) {
        if (((lanes >> lane) & 1u) == 0) continue;
        const std::uint64_t* clocks = clocks_of(lane);
        for (unsigned k = 0; k < 32; ++k) merged[k] = std::max(merged[k], clocks[k]);
    }
    for (unsigned lane = 0; lane < 32; ++lane) {
        if (((lanes >> lane) & 1u) != 0) merged[lane] = serial;
    }
    for (unsigned lane = 0; lane < 32; ++lane) {
        if (((lanes >> lane) & 1u) != 0) std::copy(merged, merged + 32, clocks_of(lane));
    }
}

void RaceDetector::enter_thread(unsigned linear, const void* stack_low, std::size_t stack_bytes) {
    thread_ = linear;
    stack_low_ = reinterpret_cast<std::uintptr_t>(stack_low);
    stack_bytes_ = stack_bytes;
    set_active_race_detector(this);
}

void RaceDetector::leave_thread() { set_active_race_detector(nullptr); }

// ---- global memory ---------------------------------------------------------------------

void RaceDetector::refresh_allocations() {
    const std::uint64_t generation = allocations_generation();
    if (generation == allocations_generation_) return;
    allocations_generation_ = generation;
    std::map<std::pair<std::uintptr_t, std::size_t>, std::unique_ptr<ShadowRegion>> kept;
    allocations_.clear();
    for (const emu::Allocation& a : all_allocations()) {
        ShadowRegion* shadow = nullptr;
        if (auto it = shadows_.find({a.begin, a.size}); it != shadows_.end()) {
            shadow = it->second.get();
            kept.emplace(it->first, std::move(it->second));
        }
        allocations_.push_back(Allocation{a.begin, a.size, shadow});
    }
    shadows_ = std::move(kept);  // the shadows of released allocations go
    last_hit_ = 0;
}

ShadowRegion* RaceDetector::region_of(std::uintptr_t address) {
    const auto holds = [address](const Allocation& a) { return address - a.begin < a.size; };
    if (last_hit_ >= allocations_.size() || !holds(allocations_[last_hit_])) {
        auto it = std::upper_bound(allocations_.begin(), allocations_.end(), address,
                                   [](std::uintptr_t x, const Allocation& a) { return x < a.begin; });
        if (it == allocations_.begin() || !holds(*(it - 1))) return nullptr;
        last_hit_ = static_cast<std::size_t>(it - 1 - allocations_.begin());
    }
    Allocation& a = allocations_[last_hit_];
    if (a.shadow == nullptr) {
        auto shadow = std::make_unique<ShadowRegion>(a.begin, a.size, 2);
        a.shadow = shadow.get();
        shadows_.emplace(std::pair{a.begin, a.size}, std::move(shadow));
    }
    return a.shadow;
}

// ---- accesses ------------------------------------------------------------------------------

// Whether a live record's access happens before the current thread's next one.
bool RaceDetector::ordered_before_now(AccessRecord r) const {
    const std::uint64_t serial = r.serial();
    if (serial < block_serial_) return false;  // another block of this launch
    const unsigned other = r.thread();
    if (other == thread_ || serial < barrier_serial_) return true;
    return other / 32 == thread_ / 32 && lane_clocks_[std::size_t{thread_} * 32 + other % 32] > serial;
}

void RaceDetector::access(const void* address, std::size_t size, AccessKind kind, const void* code) {
    if (conflict_) return;
    const auto begin = reinterpret_cast<std::uintptr_t>(address);
    if (begin - stack_low_ < stack_bytes_) return;  // the thread's own stack
    ShadowRegion* region = nullptr;
    bool shared = true;
    if (arena_ && arena_->contains(begin)) {
        region = arena_.get();
    } else if (dynamic_ && dynamic_->contains(begin)) {
        region = dynamic_.get();
    } else {
        shared = false;
        region = region_of(begin);
        if (region == nullptr) return;  // not device memory: a local, a parameter, the host's
    }
    ++checked_;
    const Probe probe{current_serial(), shared ? block_serial_ : launch_serial_, kind, encode_code(code)};
    const std::uintptr_t end = std::min(begin + size, region->begin() + region->size());
    const unsigned shift = region->shift();
    for (std::size_t cell = (begin - region->begin()) >> shift;; ++cell) {
        const std::uintptr_t cell_begin = region->begin() + (cell << shift);
        const std::uintptr_t from = std::max(begin, cell_begin);
        const std::uintptr_t to = std::min(end, cell_begin + (std::uintptr_t{1} << shift));
        if (from >= to) break;
        const unsigned mask = ((1u << (to - from)) - 1) << (from - cell_begin);
        if (const int slot = check_cell(*region, cell, mask, probe); slot >= 0) {
            conflict_ = Conflict{region, shared, begin, size, kind, code, region->record(slot, cell), slot == 0,
                                 region->code(slot, cell)};
            return;
        }
    }
}

// Checks one cell against the access and records it; returns the slot of the
// earlier access it races with, or -1.
inline int RaceDetector::check_cell(ShadowRegion& region, std::size_t cell, unsigned byte_mask, const Probe& probe) {
    const auto live = [&](AccessRecord r) { return r.bits != 0 && r.serial() >= probe.stale_before; };
    // A pair conflicts when one of them is a plain write: a plain read of a
    // word that others update atomically (a CAS loop's first load) does not.
    const bool atomic = is_atomic(probe.kind);
    const bool plain_write = is_write(probe.kind) && !atomic;
    const auto conflicts = [&](AccessRecord r, bool write_slot) {
        return live(r) && (r.byte_mask() & byte_mask) != 0 && (plain_write || (write_slot && !r.atomic())) &&
               !ordered_before_now(r);
    };
    AccessRecord& last_write = region.record(0, cell);
    AccessRecord& first_read = region.record(1, cell);
    AccessRecord& second_read = region.record(2, cell);
    if (conflicts(last_write, true)) return 0;
    const AccessRecord mine = AccessRecord::make(probe.serial, thread_, atomic, byte_mask);
    if (is_write(probe.kind)) {
        if (conflicts(first_read, false)) return 1;
        if (conflicts(second_read, false)) return 2;
        last_write = mine;
        region.code(0, cell) = probe.code;
        // Reads of these bytes all happen before this write: later accesses need only check the write.
        if ((first_read.byte_mask() & ~byte_mask) == 0) first_read = AccessRecord{};
        if ((second_read.byte_mask() & ~byte_mask) == 0) second_read = AccessRecord{};
        return -1;
    }
    if (first_read.bits == mine.bits) return -1;  // this thread again, with no synchronization since
    // Keep this read and one earlier read that a later write could race with:
    // one of an earlier block (it races with any later plain write) or else one
    // of another warp than this read's, so that whenever threads of several
    // warps read the word in this barrier interval, a write there by any thread
    // races with one of the two kept.
    const auto superseded = [&](AccessRecord r) {
        return !live(r) || ((r.byte_mask() & ~byte_mask) == 0 && ordered_before_now(r));
    };
    const auto worth = [&](AccessRecord r) {
        if (superseded(r)) return 0;
        if (r.serial() < block_serial_) return 3;
        return r.thread() / 32 != thread_ / 32 ? 2 : 1;
    };
    if (worth(first_read) >= worth(second_read)) {
        second_read = first_read;
        region.code(2, cell) = region.code(1, cell);
    }
    first_read = mine;
    region.code(1, cell) = probe.code;
    return -1;
}

// ---- reports --------------------------------------------------------------------------------

std::string RaceDetector::describe_earlier_thread(AccessRecord r) const {
    const std::string thread = describe_index(r.thread(), launch_->block);
    if (r.serial() >= block_serial_) return thread;
    auto it = std::upper_bound(block_starts_.begin(), block_starts_.end(), r.serial(),
                               [](std::uint64_t s, const std::pair<std::uint64_t, uint3>& b) { return s < b.first; });
    if (it == block_starts_.begin()) return thread + " of another block";
    const uint3 b = (it - 1)->second;
    return fmt::format("{} of block ({},{},{})", thread, b.x, b.y, b.z);
}

std::string RaceDetector::describe_place(const Conflict& c) const {
    const std::uintptr_t offset = c.address - c.region->begin();
    if (!c.shared) {
        return fmt::format("byte {} of the device allocation at {:#x} ({} bytes)", offset, c.region->begin(),
                           c.region->size());
    }
    if (c.region == dynamic_.get()) return fmt::format("byte {} of the dynamic shared memory", offset);
    for (const SharedVariable& v : shared_variables_) {
        if (c.address - v.begin < v.size) {
            return fmt::format("byte {} of the shared variable declared at {}", c.address - v.begin,
                               describe_site(v.site));
        }
    }
    return fmt::format("byte {} of the static shared memory", offset);
}

std::optional<std::string> RaceDetector::take_report() {
    if (!conflict_ || reported_) return std::nullopt;
    reported_ = true;
    const Conflict& c = *conflict_;
    const AccessRecord& e = c.earlier;
    const std::string interval = barriers_ == 0 ? std::string("before the block's first __syncthreads")
                                                : fmt::format("after the block's __syncthreads #{}", barriers_);
    std::string relation;
    if (e.serial() < block_serial_) {
        relation = "in another block of the same launch: blocks are not ordered with each other";
    } else if (e.thread() / 32 == thread_ / 32) {
        relation = fmt::format("in the same barrier interval ({}), with no __syncthreads, nor a __syncwarp or other "
                               "warp collective that both lanes take part in, between them",
                               interval);
    } else {
        relation = fmt::format("in the same barrier interval ({}), with no __syncthreads between them", interval);
    }
    return fmt::format("data race on {} memory: {} {} {} byte{} at {} ({}), which {} {} ({}) {}",
                       c.shared ? "shared" : "global", describe_index(thread_, launch_->block), present_verb(c.kind),
                       c.size, c.size == 1 ? "" : "s", describe_place(c), describe_code_address(c.code),
                       describe_earlier_thread(e), past_verb(c.earlier_write, e.atomic()),
                       describe_code_address(decode_code(c.earlier_code)), relation);
}

}  // namespace peso::cuda::emu
