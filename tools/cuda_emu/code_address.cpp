#include "tools/cuda_emu/code_address.h"

#include <cxxabi.h>
#include <dlfcn.h>
#include <elf.h>
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

namespace peso::cuda::emu {
namespace {

std::string demangled(const char* name) {
    int status = 0;
    const std::unique_ptr<char, decltype(&std::free)> text(abi::__cxa_demangle(name, nullptr, nullptr, &status),
                                                           &std::free);
    return status == 0 && text ? text.get() : name;
}

std::string basename_of(std::string_view path) {
    if (const auto slash = path.rfind('/'); slash != std::string_view::npos) path.remove_prefix(slash + 1);
    return std::string(path);
}

// addr2line's "function\nfile:line" pairs, innermost inlined frame first.
std::vector<std::string> addr2line(const char* object, std::uintptr_t offset) {
    const std::string command = fmt::format("addr2line -C -f -i -e '{}' {:#x} 2>/dev/null", object, offset);
    std::vector<std::string> lines;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return lines;
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
        std::string line(buffer);
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
        lines.push_back(std::move(line));
    }
    ::pclose(pipe);
    return lines;
}

std::string frame(const std::string& function, const std::string& place) {
    std::string where = place;
    if (const auto paren = where.find(" (discriminator"); paren != std::string::npos) where.resize(paren);
    return fmt::format("{} in {}", basename_of(where), function);
}

std::string describe_uncached(const void* return_address) {
    const auto pc = reinterpret_cast<std::uintptr_t>(return_address) - 1;  // inside the call instruction
    Dl_info info{};
    if (::dladdr(reinterpret_cast<const void*>(pc), &info) == 0 || info.dli_fname == nullptr) {
        return fmt::format("code address {:#x}", pc);
    }
    const auto base = reinterpret_cast<std::uintptr_t>(info.dli_fbase);
    const bool position_independent = reinterpret_cast<const Elf64_Ehdr*>(info.dli_fbase)->e_type == ET_DYN;
    const std::vector<std::string> lines = addr2line(info.dli_fname, position_independent ? pc - base : pc);
    if (lines.size() >= 2 && lines[1].rfind("??", 0) != 0) {
        std::string text = frame(lines[0], lines[1]);
        if (lines.size() >= 4) text += fmt::format(", inlined in {}", frame(lines[lines.size() - 2], lines.back()));
        return text;
    }
    if (!lines.empty() && lines[0] != "??") return fmt::format("{} (no line table)", lines[0]);
    if (info.dli_sname != nullptr) return fmt::format("{} (no line table)", demangled(info.dli_sname));
    return fmt::format("code address {:#x} in {}", pc, info.dli_fname);
}

}  // namespace

std::string describe_code_address(const void* return_address) {
    if (return_address == nullptr) return "an unknown line";
    // Each description runs addr2line on the whole program: once per address is enough.
    static std::mutex mutex;
    static std::map<const void*, std::string> described;
    const std::lock_guard lock(mutex);
    auto it = described.find(return_address);
    if (it == described.end()) it = described.emplace(return_address, describe_uncached(return_address)).first;
    return it->second;
}

}  // namespace peso::cuda::emu
