#include "tensor/storage.h"

#include <cstdio>
#include <exception>

namespace peso {

Storage::Storage(std::size_t nbytes, Device device, Allocator& allocator)
    : data_(allocator.allocate(nbytes)), nbytes_(nbytes), device_(device), allocator_(&allocator) {}

Storage::Storage(void* data, std::size_t nbytes, Device device, std::function<void()> release)
    : data_(data), nbytes_(nbytes), device_(device), release_(std::move(release)) {}

// A destructor that throws ends the program (std::terminate): a failure to
// give memory back is reported and the memory left behind instead.
Storage::~Storage() {
    try {
        if (allocator_) allocator_->deallocate(data_, nbytes_);
        else if (release_) release_();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "peso: freeing %zu bytes on %s failed: %s (continuing)\n", nbytes_,
                     device_.str().c_str(), e.what());
    }
}

}  // namespace peso
