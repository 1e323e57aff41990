#pragma once
// Source lines of code addresses, for the race detectors' reports: the
// instrumented kernels carry line tables (-g1), which addr2line reads; without
// them (or without addr2line) the enclosing symbol through dladdr.
#include <string>

namespace peso::cuda::emu {

// "reduce.cu:120 in peso::cuda::emulated::(anonymous)::sum_kernel<float>(...)"; `return_address` is
// a return address, as __builtin_return_address gives, into the instruction after a call.
std::string describe_code_address(const void* return_address);

}  // namespace peso::cuda::emu
