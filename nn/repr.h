#pragma once
// Number formatting for extra_repr(), as Python's repr prints them, so that a
// printed module reads like PyTorch's ("p=0.0", "eps=1e-05").
#include <string>

#include <fmt/format.h>

namespace peso::nn {

inline std::string py_float(double v) {
    std::string s = fmt::format("{}", v);
    if (s.find_first_of(".eninf") == std::string::npos) s += ".0";
    return s;
}

inline const char* py_bool(bool b) { return b ? "True" : "False"; }

}  // namespace peso::nn
