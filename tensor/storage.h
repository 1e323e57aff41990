#pragma once
// Storage: a refcounted block of device memory shared by a tensor and all its
// views. It also carries the version counter that autograd uses to detect
// in-place changes to saved tensors (views share it because they share data).
#include <cstddef>
#include <cstdint>
#include <functional>

#include "backends/allocator.h"
#include "core/device.h"

namespace peso {

class Storage {
public:
    Storage(std::size_t nbytes, Device device, Allocator& allocator);
    // Memory someone else owns (a NumPy array's buffer, for the Python module):
    // `release` runs when the last tensor viewing it goes, instead of a deallocate.
    Storage(void* data, std::size_t nbytes, Device device, std::function<void()> release);
    ~Storage();
    Storage(const Storage&) = delete;
    Storage& operator=(const Storage&) = delete;

    void* data() const { return data_; }
    std::size_t nbytes() const { return nbytes_; }
    Device device() const { return device_; }
    std::uint64_t version() const { return version_; }
    void bump_version() { ++version_; }

private:
    void* data_ = nullptr;
    std::size_t nbytes_ = 0;
    Device device_;
    Allocator* allocator_ = nullptr;  // not owned: allocators live as long as the program
    std::function<void()> release_;   // set instead of allocator_ for borrowed memory
    std::uint64_t version_ = 0;
};

}  // namespace peso
