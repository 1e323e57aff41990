#include "tools/cuda_emu/thread_order.h"

#include <atomic>
#include <cstdlib>
#include <string>

#include "core/error.h"

namespace peso::cuda::emu {
namespace {

ThreadOrder order_from_environment() {
    const char* text = std::getenv("PESO_EMU_ORDER");
    if (text == nullptr || *text == '\0') return ThreadOrder::forward;
    const std::string_view name(text);
    for (ThreadOrder order : all_thread_orders) {
        if (thread_order_name(order) == name) return order;
    }
    throw ValueError(fmt::format("PESO_EMU_ORDER={}: expected forward, reverse or random", name));
}

std::uint64_t seed_from_environment() {
    const char* text = std::getenv("PESO_EMU_SEED");
    if (text == nullptr || *text == '\0') return 0;
    char* end = nullptr;
    const unsigned long long seed = std::strtoull(text, &end, 0);
    PESO_CHECK(end != text && *end == '\0', ValueError, "PESO_EMU_SEED={}: expected an unsigned integer", text);
    return seed;
}

// Settings are read by every launch, possibly from several host threads.
std::atomic<ThreadOrder>& order_setting() {
    static std::atomic<ThreadOrder> order{order_from_environment()};
    return order;
}

std::atomic<std::uint64_t>& seed_setting() {
    static std::atomic<std::uint64_t> seed{seed_from_environment()};
    return seed;
}

}  // namespace

std::string_view thread_order_name(ThreadOrder order) {
    switch (order) {
        case ThreadOrder::forward: return "forward";
        case ThreadOrder::reverse: return "reverse";
        case ThreadOrder::random: return "random";
    }
    return "?";
}

ThreadOrder thread_order() { return order_setting().load(std::memory_order_relaxed); }
void set_thread_order(ThreadOrder order) { order_setting().store(order, std::memory_order_relaxed); }
std::uint64_t random_order_seed() { return seed_setting().load(std::memory_order_relaxed); }
void set_random_order_seed(std::uint64_t seed) { seed_setting().store(seed, std::memory_order_relaxed); }

std::string describe_thread_order() {
    const ThreadOrder order = thread_order();
    if (order != ThreadOrder::random) return std::string(thread_order_name(order));
    return fmt::format("random (seed {})", random_order_seed());
}

ThreadOrderGuard::ThreadOrderGuard(ThreadOrder order, std::uint64_t seed)
    : saved_order_(thread_order()), saved_seed_(random_order_seed()) {
    set_thread_order(order);
    set_random_order_seed(seed);
}

ThreadOrderGuard::~ThreadOrderGuard() {
    set_thread_order(saved_order_);
    set_random_order_seed(saved_seed_);
}

}  // namespace peso::cuda::emu
