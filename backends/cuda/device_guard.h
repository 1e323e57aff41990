#pragma once
// Makes a CUDA device current for a scope and restores the caller's after:
// the CUDA backend of cuda:N launches on device N whatever the thread had current.
#include "backends/cuda/check.h"

PESO_CUDA_NAMESPACE_BEGIN

class DeviceGuard {
public:
    explicit DeviceGuard(int device) {
        PESO_CUDA_CHECK(cudaGetDevice(&previous_));
        if (previous_ != device) PESO_CUDA_CHECK(cudaSetDevice(device));
        changed_ = previous_ != device;
    }
    ~DeviceGuard() {
        if (changed_) (void)cudaSetDevice(previous_);
    }
    DeviceGuard(const DeviceGuard&) = delete;
    DeviceGuard& operator=(const DeviceGuard&) = delete;

private:
    int previous_ = 0;
    bool changed_ = false;
};

PESO_CUDA_NAMESPACE_END
