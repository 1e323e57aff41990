#pragma once
// The entry points that gcc's -fsanitize=thread instrumentation calls on every
// load, store and atomic operation of an instrumented translation unit,
// defined here instead of in the ThreadSanitizer runtime (which is not
// linked): each does the access's real work (for atomics) and, only while a
// checked GPU thread runs on this host thread, hands the access to its race
// detector. Otherwise each costs a call and a thread-local load.
namespace peso::cuda::emu {

class RaceDetector;

// The detector of the GPU thread now running on this host thread; nullptr when none.
// (race_check_available(), race_check.h, is true once an instrumented
// translation unit has started: its constructor calls __tsan_init.)
void set_active_race_detector(RaceDetector* detector);

}  // namespace peso::cuda::emu
