#pragma once
// Stacks for the fibers that run a block's threads. Every stack has a guard
// page below it, so that a kernel overflowing its stack faults at once, and is
// kept for the next block instead of being unmapped: a launch of thousands of
// blocks maps at most one block's worth of stacks.
#include <boost/context/stack_context.hpp>
#include <cstddef>
#include <vector>

namespace peso::cuda::emu {

class FiberStackPool {
public:
    // PESO_EMU_STACK_KIB sets the size; the default is 64 KiB, or 256 KiB
    // under AddressSanitizer whose redzones make frames larger.
    FiberStackPool();
    ~FiberStackPool();
    FiberStackPool(const FiberStackPool&) = delete;
    FiberStackPool& operator=(const FiberStackPool&) = delete;

    boost::context::stack_context allocate();
    void deallocate(boost::context::stack_context& stack) noexcept;
    std::size_t stack_size() const { return stack_size_; }
    // The stack the last allocate() returned: Boost.Context does not tell its fiber's.
    boost::context::stack_context last_allocated() const { return last_allocated_; }

    // After an exception unwound a GPU thread's stack, AddressSanitizer (which
    // cannot follow fiber switches) may have left its frames' redzones
    // poisoned; this clears them on the stacks not in use. A no-op without ASan.
    void unpoison_free_stacks() noexcept;

private:
    std::size_t stack_size_;
    std::size_t guard_size_;
    std::vector<void*> free_;   // mapping bases (guard page first)
    std::vector<void*> owned_;  // every mapping, to unmap at the end
    boost::context::stack_context last_allocated_{};
};

// The allocator Boost.Context calls; it borrows stacks from a pool.
class PooledStackAllocator {
public:
    explicit PooledStackAllocator(FiberStackPool& pool) : pool_(&pool) {}
    boost::context::stack_context allocate() { return pool_->allocate(); }
    void deallocate(boost::context::stack_context& stack) noexcept { pool_->deallocate(stack); }

private:
    FiberStackPool* pool_;
};

}  // namespace peso::cuda::emu
