#pragma once
// Loaders that take a path get the fuzz input through a file of this process's
// own (in $TMPDIR), rewritten for each input.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace peso::fuzz {

inline std::filesystem::path input_file(const std::string& name, const std::uint8_t* data, std::size_t size) {
    const auto path = std::filesystem::temp_directory_path() / ("peso_fuzz_" + std::to_string(::getpid()) + "_" + name);
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data),
                                                                  static_cast<std::streamsize>(size));
    return path;
}

}  // namespace peso::fuzz
