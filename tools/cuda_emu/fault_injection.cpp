#include "tools/cuda_emu/fault_injection.h"

#include <atomic>

namespace peso::cuda::emu {
namespace {

// One emulated device for every host thread, as a GPU's context is.
struct Faults {
    std::atomic<cudaError_t> malloc_error{cudaSuccess};
    std::atomic<int> malloc_failures{0};
    std::atomic<cudaError_t> launch_fault{cudaSuccess};  // for the next launch
    std::atomic<cudaError_t> pending{cudaSuccess};       // raised by a launch, not yet seen
    std::atomic<cudaError_t> sticky{cudaSuccess};
    std::atomic<cudaError_t> device_count{cudaSuccess};
};

Faults& faults() {
    static Faults instance;
    return instance;
}

}  // namespace

void fail_next_mallocs(cudaError_t error, int count) {
    faults().malloc_error = error;
    faults().malloc_failures = count;
}

void fault_next_launch(cudaError_t error) { faults().launch_fault = error; }

void fail_device_count(cudaError_t error) { faults().device_count = error; }

cudaError_t sticky_error() { return faults().sticky.load(); }

void clear_faults() {
    Faults& f = faults();
    f.malloc_failures = 0;
    f.malloc_error = cudaSuccess;
    f.launch_fault = cudaSuccess;
    f.pending = cudaSuccess;
    f.sticky = cudaSuccess;
    f.device_count = cudaSuccess;
}

cudaError_t take_malloc_failure() {
    Faults& f = faults();
    for (int left = f.malloc_failures.load(); left > 0;) {
        if (f.malloc_failures.compare_exchange_weak(left, left - 1)) return f.malloc_error.load();
    }
    return cudaSuccess;
}

void end_launch() {
    if (const cudaError_t e = faults().launch_fault.exchange(cudaSuccess); e != cudaSuccess) faults().pending = e;
}

cudaError_t device_state() {
    Faults& f = faults();
    if (const cudaError_t e = f.pending.exchange(cudaSuccess); e != cudaSuccess) f.sticky = e;
    return f.sticky.load();
}

cudaError_t device_count_failure() { return faults().device_count.load(); }

}  // namespace peso::cuda::emu
