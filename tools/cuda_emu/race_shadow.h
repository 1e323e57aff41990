#pragma once
// Shadow memory for the race detectors: for each cell of a watched region (a
// byte of shared memory, a 4-byte word of global memory) the last write and
// the last two reads, each as one 64-bit record, plus the code address of each.
//
// A record packs the time of the access (the sync serial, race_detector.h),
// the thread (linear index in its block), whether it was atomic, and which
// bytes of the cell it touched. Serial 0 is an empty record. Records are never
// cleared: one older than the current launch (or block, for shared memory) is
// stale and counts as empty, so nothing needs resetting between launches.
// Pages are mapped on first touch, so a region costs memory only where a
// checked kernel touched it.
#include <cstddef>
#include <cstdint>

namespace peso::cuda::emu {

struct AccessRecord {
    std::uint64_t bits = 0;

    static constexpr unsigned serial_shift = 15;
    static AccessRecord make(std::uint64_t serial, unsigned thread, bool atomic, unsigned byte_mask) {
        return AccessRecord{serial << serial_shift | std::uint64_t{thread & 0x3ffu} << 5 |
                            std::uint64_t{atomic ? 1u : 0u} << 4 | (byte_mask & 0xfu)};
    }
    std::uint64_t serial() const { return bits >> serial_shift; }
    unsigned thread() const { return static_cast<unsigned>(bits >> 5) & 0x3ffu; }
    bool atomic() const { return ((bits >> 4) & 1u) != 0; }
    unsigned byte_mask() const { return static_cast<unsigned>(bits) & 0xfu; }
};

// One watched range of memory: [begin, begin + size), in cells of 1 << shift bytes.
class ShadowRegion {
public:
    ShadowRegion(std::uintptr_t begin, std::size_t size, unsigned shift);
    ~ShadowRegion();
    ShadowRegion(const ShadowRegion&) = delete;
    ShadowRegion& operator=(const ShadowRegion&) = delete;

    std::uintptr_t begin() const { return begin_; }
    std::size_t size() const { return size_; }
    unsigned shift() const { return shift_; }
    bool contains(std::uintptr_t address) const { return address - begin_ < size_; }

    // Slot 0 is the last write, slots 1 and 2 the last two reads.
    static constexpr int slots = 3;
    AccessRecord& record(int slot, std::size_t cell) { return records_[slot][cell]; }
    std::int32_t& code(int slot, std::size_t cell) { return codes_[slot][cell]; }

private:
    std::uintptr_t begin_;
    std::size_t size_;
    unsigned shift_;
    void* mapping_ = nullptr;
    std::size_t mapping_bytes_ = 0;
    AccessRecord* records_[slots]{};
    std::int32_t* codes_[slots]{};
};

}  // namespace peso::cuda::emu
