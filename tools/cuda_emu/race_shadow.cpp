#include "tools/cuda_emu/race_shadow.h"

#include <sys/mman.h>

#include <new>

namespace peso::cuda::emu {

ShadowRegion::ShadowRegion(std::uintptr_t begin, std::size_t size, unsigned shift)
    : begin_(begin), size_(size), shift_(shift) {
    const std::size_t cells = (size + (std::size_t{1} << shift) - 1) >> shift;
    const std::size_t record_bytes = cells * sizeof(AccessRecord);
    const std::size_t code_bytes = (cells * sizeof(std::int32_t) + 7) / 8 * 8;
    mapping_bytes_ = slots * (record_bytes + code_bytes);
    if (mapping_bytes_ == 0) return;
    // Anonymous pages read as zeros (empty records) and take memory only once written.
    mapping_ = ::mmap(nullptr, mapping_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                      -1, 0);
    if (mapping_ == MAP_FAILED) throw std::bad_alloc();
    auto* bytes = static_cast<unsigned char*>(mapping_);
    for (int s = 0; s < slots; ++s) {
        records_[s] = reinterpret_cast<AccessRecord*>(bytes + s * record_bytes);
        codes_[s] = reinterpret_cast<std::int32_t*>(bytes + slots * record_bytes + s * code_bytes);
    }
}

ShadowRegion::~ShadowRegion() {
    if (mapping_ != nullptr) ::munmap(mapping_, mapping_bytes_);
}

}  // namespace peso::cuda::emu
