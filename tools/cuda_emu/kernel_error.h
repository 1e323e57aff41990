#pragma once
// The error the emulator throws when a kernel does something that is undefined
// on a GPU: barrier divergence, mismatched warp collectives, a host pointer
// passed to a kernel. Its message names the kernel, the launch site, the block
// and thread(s) and the thread order, so that the failure can be replayed.
#include "core/error.h"

namespace peso::cuda::emu {

class KernelError : public ::peso::Error {
public:
    using ::peso::Error::Error;
};

}  // namespace peso::cuda::emu
