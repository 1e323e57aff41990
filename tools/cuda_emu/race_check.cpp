#include "tools/cuda_emu/race_check.h"

#include <atomic>
#include <cstdlib>
#include <string_view>

#include "core/error.h"

namespace peso::cuda::emu {
namespace {

bool enabled_from_environment() {
    const char* text = std::getenv("PESO_EMU_RACECHECK");
    if (text == nullptr || *text == '\0') return false;
    const std::string_view value(text);
    if (value == "1") return true;
    if (value == "0") return false;
    throw ValueError(fmt::format("PESO_EMU_RACECHECK={}: expected 1 or 0", value));
}

std::atomic<bool>& enabled_setting() {
    static std::atomic<bool> enabled{enabled_from_environment()};
    return enabled;
}

}  // namespace

bool race_check_enabled() { return enabled_setting().load(std::memory_order_relaxed); }
void set_race_check(bool on) { enabled_setting().store(on, std::memory_order_relaxed); }

RaceCheckGuard::RaceCheckGuard(bool on) : saved_(race_check_enabled()) { set_race_check(on); }
RaceCheckGuard::~RaceCheckGuard() { set_race_check(saved_); }

}  // namespace peso::cuda::emu
