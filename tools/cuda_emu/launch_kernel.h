#pragma once
// The emulated side of peso::cuda::launch: converts the arguments to the
// kernel's parameter types once, as a real launch copies them into parameter
// memory, checks that pointer arguments point at device-accessible memory, and
// gives every GPU thread its own copy of the parameters.
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "tools/cuda_emu/grid_launch.h"

namespace peso::cuda::emu {

// g++ spells the kernel's type in here: "... [with Kernel = void (*)(const float*, int)]".
template <class Kernel>
constexpr const char* kernel_type_name() {
    return __PRETTY_FUNCTION__;
}

template <class T>
void check_argument(const LaunchInfo& launch, int index, const T& value) {
    if constexpr (std::is_pointer_v<T> && !std::is_function_v<std::remove_pointer_t<T>>) {
        check_pointer_argument(launch, index, const_cast<const void*>(static_cast<const volatile void*>(value)));
    }
}

template <class... Params, class... Args>
void launch_kernel(void (*kernel)(Params...), LaunchInfo launch, Args&&... args) {
    static_assert(sizeof...(Params) == sizeof...(Args), "launch: the kernel takes a different number of arguments");
    using Parameters = std::tuple<std::remove_cvref_t<Params>...>;
    struct Closure {
        void (*kernel)(Params...);
        Parameters parameters;
    };
    Closure closure{kernel, Parameters(std::forward<Args>(args)...)};
    launch.kernel = reinterpret_cast<const void*>(kernel);
    launch.kernel_type = kernel_type_name<void (*)(Params...)>();
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (check_argument(launch, static_cast<int>(I), std::get<I>(closure.parameters)), ...);
    }(std::index_sequence_for<Params...>{});
    run_grid(
        launch,
        [](void* opaque) {
            Closure& c = *static_cast<Closure*>(opaque);
            std::apply(c.kernel, c.parameters);  // by value: each thread gets its own copies
        },
        &closure);
}

}  // namespace peso::cuda::emu
