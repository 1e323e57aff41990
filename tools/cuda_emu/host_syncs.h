#pragma once
// How often the host has waited for the emulated device. On a GPU each of
// these stalls the CPU until the queued work is done, so that it cannot queue
// ahead; a training step should have as few as its results need. Counted for
// every host thread together, since the program started.
#include <cstdint>
#include <string>

namespace peso::cuda::emu {

struct HostSyncs {
    std::int64_t stream = 0;  // cudaStreamSynchronize
    std::int64_t device = 0;  // cudaDeviceSynchronize
    std::int64_t event = 0;   // cudaEventSynchronize
    std::int64_t copy = 0;    // a synchronous cudaMemcpy into host memory
    std::int64_t free = 0;    // cudaFree (a GPU waits for the device before freeing)

    std::int64_t total() const { return stream + device + event + copy + free; }
    HostSyncs operator-(const HostSyncs& o) const {
        return {stream - o.stream, device - o.device, event - o.event, copy - o.copy, free - o.free};
    }
    std::string str() const;
};

HostSyncs host_syncs();

enum class SyncKind { stream, device, event, copy, free };
void count_host_sync(SyncKind kind);

}  // namespace peso::cuda::emu
