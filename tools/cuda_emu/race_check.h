#pragma once
// Switches the emulator's race detectors (race_detector.h) on and off.
//
// The detectors need the kernels' translation units compiled with gcc's
// ThreadSanitizer instrumentation (-fsanitize=thread, linked without the TSan
// runtime: tsan_hooks.cpp receives every load and store). CMake does that for
// the emulated backend and the cuda tests, except in the AddressSanitizer
// build, where the two instrumentations cannot be combined; there the
// detectors are unavailable and a launch runs unchecked.
#include <cstdint>

namespace peso::cuda::emu {

// True when instrumented kernel code is linked into the program.
bool race_check_available();

// Whether launches are checked; the first value comes from PESO_EMU_RACECHECK
// (1 or 0, default 0). Has no effect when the detectors are unavailable.
bool race_check_enabled();
void set_race_check(bool on);

// How many accesses to shared and device memory the detectors have checked on
// the calling host thread, for tests that a kernel is instrumented.
std::uint64_t race_checked_accesses();

// Turns race checking on (or off) for a scope.
class RaceCheckGuard {
public:
    explicit RaceCheckGuard(bool on = true);
    ~RaceCheckGuard();
    RaceCheckGuard(const RaceCheckGuard&) = delete;
    RaceCheckGuard& operator=(const RaceCheckGuard&) = delete;

private:
    bool saved_;
};

}  // namespace peso::cuda::emu
