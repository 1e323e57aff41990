#pragma once
// The emulator's asynchronous stream mode, for tests of the code that queues
// work: with it on, kernel launches, cudaMemcpyAsync / cudaMemsetAsync (and the
// asynchronous cases of cudaMemcpy / cudaMemset) and cuBLAS calls are queued
// on their stream and run only when the host waits for them (a stream, event
// or device synchronisation, a blocking copy to the host, cudaFree), in an
// order that keeps each stream's FIFO, the events streams wait for, and the
// legacy default stream's implicit synchronisation with blocking streams, but
// otherwise interleaves streams at random (seeded by PESO_EMU_SEED). A host
// that reads a result before it synchronises, or changes a pinned buffer an
// async copy still has to read, then sees the wrong data, as on a GPU under
// load. docs/cuda_emulation.md says what the mode catches and what it does not.
//
// Switch it on for a whole run with PESO_EMU_ASYNC=1, or for a scope:
//     peso::cuda::emu::AsyncModeGuard async(true, /*seed*/ 7);
#include <cstddef>
#include <cstdint>

#include "tools/cuda_emu/toolkit_headers.h"

namespace peso::cuda::emu {

bool async_mode();
// Switching it off first runs everything still queued.
void set_async_mode(bool on);

class AsyncModeGuard {
public:
    explicit AsyncModeGuard(bool on = true, std::uint64_t seed = 0);
    ~AsyncModeGuard();
    AsyncModeGuard(const AsyncModeGuard&) = delete;
    AsyncModeGuard& operator=(const AsyncModeGuard&) = delete;

private:
    bool saved_;
};

// Work queued and not yet run, on every stream together (for tests).
std::size_t queued_work();

// ---- for a caching allocator ---------------------------------------------------------
// Device memory handed out in blocks carved from cudaMalloc'd segments: with
// the blocks declared, the emulator knows which block a kernel argument points
// into, and so which work uses which block.
//
// `p`..`p+size` now belongs to new work on `stream`. In async mode, throws
// KernelError when work queued on another stream still uses the range with no
// event (or legacy-stream ordering) making it finish before the stream's new
// work: the block was freed and handed out again while that work may still run
// (a tensor used on a second stream without record_stream).
void note_block_allocated(const void* p, std::size_t size, cudaStream_t stream);
// The block at `p` is free again.
void note_block_freed(const void* p);

}  // namespace peso::cuda::emu
