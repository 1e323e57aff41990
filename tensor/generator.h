#pragma once
// A random-number generator state: a seed plus how many counters have been
// used. Each random op reserves a counter range, so the numbers depend only on
// the seed and the order of ops — never on thread count or device.
#include <cstdint>

namespace peso {

class Generator {
public:
    explicit Generator(std::uint64_t seed = 0x5eed) : seed_(seed) {}
    void manual_seed(std::uint64_t seed) { seed_ = seed; offset_ = 0; }
    std::uint64_t seed() const { return seed_; }
    std::uint64_t offset() const { return offset_; }
    void set_state(std::uint64_t seed, std::uint64_t offset) { seed_ = seed; offset_ = offset; }
    // Reserves n counters and returns the first.
    std::uint64_t reserve(std::uint64_t n) {
        const std::uint64_t first = offset_;
        offset_ += n;
        return first;
    }

private:
    std::uint64_t seed_;
    std::uint64_t offset_ = 0;
};

// The process-wide generator used when an op is given none.
Generator& default_generator();
void manual_seed(std::uint64_t seed);

}  // namespace peso
