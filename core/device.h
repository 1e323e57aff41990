#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace peso {

enum class DeviceType : std::uint8_t { cpu, cuda };

struct Device {
    DeviceType type = DeviceType::cpu;
    int index = 0;

    static constexpr Device cpu() { return {DeviceType::cpu, 0}; }
    static constexpr Device cuda(int i = 0) { return {DeviceType::cuda, i}; }
    // Parses "cpu", "cuda", "cuda:1".
    static Device parse(std::string_view s);

    bool is_cpu() const { return type == DeviceType::cpu; }
    bool is_cuda() const { return type == DeviceType::cuda; }
    std::string str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }
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

template <> struct fmt::formatter<peso::Device> : fmt::formatter<std::string_view> {
    auto format(const peso::Device& d, format_context& ctx) const {
        return fmt::formatter<std::string_view>::format(d.str(), ctx);
    }
};
