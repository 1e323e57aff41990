#pragma once
// The emulated side of peso::cuda::launch: converts the arguments to the
// kernel's parameter types once, as a real launch copies them into parameter
// memory, checks that pointer arguments point at device-accessible memory, and
// gives every GPU thread its own copy of the parameters.
#include <array>
#include <cstddef>
#include <memory>
#include <span>
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

// The argument as a pointer to memory, or null when it is none.
template <class T>
const void* pointer_argument(const T& value) {
    if constexpr (std::is_pointer_v<T> && !std::is_function_v<std::remove_pointer_t<T>>) {
        return const_cast<const void*>(static_cast<const volatile void*>(value));
    } else {
        return nullptr;
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
    auto closure = std::make_shared<Closure>(Closure{kernel, Parameters(std::forward<Args>(args)...)});
    launch.kernel = reinterpret_cast<const void*>(kernel);
    launch.kernel_type = kernel_type_name<void (*)(Params...)>();
    launch.parameter_bytes = sizeof(Parameters);
    const std::array<const void*, sizeof...(Params) + 1> pointers = std::apply(
        [](const auto&... p) { return std::array<const void*, sizeof...(Params) + 1>{pointer_argument(p)..., nullptr}; },
        closure->parameters);
    for (std::size_t i = 0; i < sizeof...(Params); ++i) {
        if (pointers[i] != nullptr) check_pointer_argument(launch, static_cast<int>(i), pointers[i]);
    }
    run_grid(
        launch,
        [](void* opaque) {
            Closure& c = *static_cast<Closure*>(opaque);
            std::apply(c.kernel, c.parameters);  // by value: each thread gets its own copies
        },
        std::move(closure), std::span<const void* const>(pointers.data(), sizeof...(Params)));
}

}  // namespace peso::cuda::emu
