#include "tools/cuda_emu/fiber_stack_pool.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <new>

#include "core/error.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace peso::cuda::emu {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr std::size_t default_stack_kib = 256;
#else
constexpr std::size_t default_stack_kib = 64;
#endif

std::size_t page_size() { return static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)); }

std::size_t stack_size_from_environment() {
    std::size_t kib = default_stack_kib;
    if (const char* text = std::getenv("PESO_EMU_STACK_KIB"); text != nullptr && *text != '\0') {
        char* end = nullptr;
        kib = std::strtoull(text, &end, 10);
        PESO_CHECK(end != text && *end == '\0' && kib >= 16, ValueError,
                   "PESO_EMU_STACK_KIB={}: expected a size in KiB of at least 16", text);
    }
    const std::size_t page = page_size();
    return (kib * 1024 + page - 1) / page * page;
}

}  // namespace

FiberStackPool::FiberStackPool() : stack_size_(stack_size_from_environment()), guard_size_(page_size()) {
    // A block has at most 1024 threads alive: returning a stack never allocates.
    free_.reserve(1024);
    owned_.reserve(1024);
}

FiberStackPool::~FiberStackPool() {
    for (void* base : owned_) ::munmap(base, guard_size_ + stack_size_);
}

boost::context::stack_context FiberStackPool::allocate() {
    void* base = nullptr;
    if (!free_.empty()) {
        base = free_.back();
        free_.pop_back();
    } else {
        base = ::mmap(nullptr, guard_size_ + stack_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (base == MAP_FAILED) throw std::bad_alloc();
        ::mprotect(base, guard_size_, PROT_NONE);
        owned_.push_back(base);
    }
    boost::context::stack_context stack;
    stack.size = stack_size_;
    stack.sp = static_cast<char*>(base) + guard_size_ + stack_size_;  // stacks grow down
    last_allocated_ = stack;
    return stack;
}

void FiberStackPool::deallocate(boost::context::stack_context& stack) noexcept {
    free_.push_back(static_cast<char*>(stack.sp) - stack_size_ - guard_size_);
}

void FiberStackPool::unpoison_free_stacks() noexcept {
#if defined(__SANITIZE_ADDRESS__)
    for (void* base : free_) ASAN_UNPOISON_MEMORY_REGION(static_cast<char*>(base) + guard_size_, stack_size_);
#endif
}

}  // namespace peso::cuda::emu
