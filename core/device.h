#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace peso {

/// The kinds of device a tensor can live on.
enum class DeviceType : std::uint8_t { cpu, cuda };

/// Where a tensor's data lives: the CPU, or CUDA device `index`.
struct Device {
    DeviceType type = DeviceType::cpu;  ///< the kind of device
    int index = 0;                      ///< which one of that kind (0 for the CPU)

    /// The CPU.
    static constexpr Device cpu() { return {DeviceType::cpu, 0}; }
    /// CUDA device `i`.
    static constexpr Device cuda(int i = 0) { return {DeviceType::cuda, i}; }
    /// Parses "cpu", "cuda", "cuda:1"; ValueError for anything else.
    static Device parse(std::string_view s);

    /// Whether this is the CPU.
    bool is_cpu() const { return type == DeviceType::cpu; }
    /// Whether this is a CUDA device.
    bool is_cuda() const { return type == DeviceType::cuda; }
    /// "cpu" or "cuda:N" (what parse() reads).
    std::string str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }
    /// Same type and index.
    friend bool operator==(const Device&, const Device&) = default;
};

inline Device Device::parse(std::string_view s) {
    if (s == "cpu") return cpu();
    if (s == "cuda") return cuda(0);
    if (s.starts_with("cuda:") && s.size() > 5) {
        int i = 0;
        for (char c : s.substr(5)) {
            PESO_CHECK(c >= '0' && c <= '9', ValueError, "Device::parse: bad device string '{}'", s);
            i = i * 10 + (c - '0');
        }
        return cuda(i);
    }
    throw ValueError(fmt::format("Device::parse: bad device string '{}' (expected cpu, cuda or cuda:N)", s));
}

}  // namespace peso

/// @cond FORMATTERS
template <> struct fmt::formatter<peso::Device> : fmt::formatter<std::string_view> {
    auto format(const peso::Device& d, format_context& ctx) const {
        return fmt::formatter<std::string_view>::format(d.str(), ctx);
    }
};
/// @endcond
