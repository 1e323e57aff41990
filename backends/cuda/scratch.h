#pragma once
// Device memory from the caching allocator for the scope of a call.
#include <cstddef>

#include "backends/allocator.h"
#include "backends/cuda/cuda_compat.h"

PESO_CUDA_NAMESPACE_BEGIN

class Scratch {
public:
    Scratch(Allocator& allocator, std::size_t nbytes)
        : allocator_(allocator), nbytes_(nbytes), data_(allocator.allocate(nbytes)) {}
    ~Scratch() { allocator_.deallocate(data_, nbytes_); }
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    void* data() const { return data_; }
    template <class T> T* as() const { return static_cast<T*>(data_); }

private:
    Allocator& allocator_;
    std::size_t nbytes_;
    void* data_;
};

PESO_CUDA_NAMESPACE_END
