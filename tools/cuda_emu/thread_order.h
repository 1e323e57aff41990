#pragma once
// The order in which the emulator runs the threads of a block between two
// synchronization points, and the blocks of a grid. A kernel whose result
// depends on it has a race: tests run kernels under all orders.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace peso::cuda::emu {

enum class ThreadOrder : std::uint8_t { forward, reverse, random };

inline constexpr std::array<ThreadOrder, 3> all_thread_orders{ThreadOrder::forward, ThreadOrder::reverse,
                                                              ThreadOrder::random};

std::string_view thread_order_name(ThreadOrder order);

// The process-wide order; its first value comes from PESO_EMU_ORDER
// (forward|reverse|random, default forward) and PESO_EMU_SEED (default 0).
ThreadOrder thread_order();
void set_thread_order(ThreadOrder order);
std::uint64_t random_order_seed();
void set_random_order_seed(std::uint64_t seed);

// "forward", "reverse" or "random (seed 7)", for messages.
std::string describe_thread_order();

// Sets the order (and for random, the seed) for a scope.
class ThreadOrderGuard {
public:
    explicit ThreadOrderGuard(ThreadOrder order, std::uint64_t seed = random_order_seed());
    ~ThreadOrderGuard();
    ThreadOrderGuard(const ThreadOrderGuard&) = delete;
    ThreadOrderGuard& operator=(const ThreadOrderGuard&) = delete;

private:
    ThreadOrder saved_order_;
    std::uint64_t saved_seed_;
};

}  // namespace peso::cuda::emu
