#include "tensor/storage.h"

namespace peso {

Storage::Storage(std::size_t nbytes, Device device, Allocator& allocator)
    : data_(allocator.allocate(nbytes)), nbytes_(nbytes), device_(device), allocator_(&allocator) {}

Storage::Storage(void* data, std::size_t nbytes, Device device, std::function<void()> release)
    : data_(data), nbytes_(nbytes), device_(device), release_(std::move(release)) {}

Storage::~Storage() {
    if (allocator_) allocator_->deallocate(data_, nbytes_);
    else if (release_) release_();
}

}  // namespace peso
