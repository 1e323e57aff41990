#include "tools/cuda_emu/host_syncs.h"

#include <atomic>

namespace peso::cuda::emu {
namespace {

std::atomic<std::int64_t> counts[5];

}  // namespace

HostSyncs host_syncs() {
    return {counts[0].load(), counts[1].load(), counts[2].load(), counts[3].load(), counts[4].load()};
}

void count_host_sync(SyncKind kind) { ++counts[static_cast<int>(kind)]; }

std::string HostSyncs::str() const {
    return std::to_string(total()) + " (stream " + std::to_string(stream) + ", device " + std::to_string(device) +
           ", event " + std::to_string(event) + ", blocking copies " + std::to_string(copy) + ", cudaFree " +
           std::to_string(free) + ")";
}

}  // namespace peso::cuda::emu
