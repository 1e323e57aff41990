#include "tools/cuda_emu/tsan_hooks.h"

#include <atomic>
#include <cstddef>

#include "tools/cuda_emu/race_check.h"
#include "tools/cuda_emu/race_detector.h"

namespace peso::cuda::emu {
namespace {

thread_local RaceDetector* active_detector = nullptr;
std::atomic<bool> instrumented{false};

}  // namespace

void set_active_race_detector(RaceDetector* detector) { active_detector = detector; }
bool race_check_available() { return instrumented.load(std::memory_order_relaxed); }

}  // namespace peso::cuda::emu

namespace {

using peso::cuda::emu::AccessKind;

inline __attribute__((always_inline)) void note(const volatile void* address, std::size_t size, AccessKind kind,
                                                 const void* code) {
    if (auto* detector = peso::cuda::emu::active_detector; detector != nullptr) [[unlikely]] {
        detector->access(const_cast<const void*>(address), size, kind, code);
    }
}

}  // namespace

#define PESO_CALLER __builtin_return_address(0)

extern "C" {

void __tsan_init() { peso::cuda::emu::instrumented.store(true, std::memory_order_relaxed); }
void __tsan_func_entry(void*) {}
void __tsan_func_exit() {}
void __tsan_vptr_update(void**, void*) {}
void __tsan_vptr_read(void**) {}

#define PESO_TSAN_PLAIN(size)                                                                                     \
    void __tsan_read##size(void* p) { note(p, size, AccessKind::read, PESO_CALLER); }                            \
    void __tsan_write##size(void* p) { note(p, size, AccessKind::write, PESO_CALLER); }                          \
    void __tsan_unaligned_read##size(void* p) { note(p, size, AccessKind::read, PESO_CALLER); }                  \
    void __tsan_unaligned_write##size(void* p) { note(p, size, AccessKind::write, PESO_CALLER); }                \
    void __tsan_volatile_read##size(void* p) { note(p, size, AccessKind::read, PESO_CALLER); }                   \
    void __tsan_volatile_write##size(void* p) { note(p, size, AccessKind::write, PESO_CALLER); }                 \
    void __tsan_unaligned_volatile_read##size(void* p) { note(p, size, AccessKind::read, PESO_CALLER); }         \
    void __tsan_unaligned_volatile_write##size(void* p) { note(p, size, AccessKind::write, PESO_CALLER); }
PESO_TSAN_PLAIN(1)
PESO_TSAN_PLAIN(2)
PESO_TSAN_PLAIN(4)
PESO_TSAN_PLAIN(8)
PESO_TSAN_PLAIN(16)
#undef PESO_TSAN_PLAIN

void __tsan_read_range(void* p, unsigned long size) { note(p, size, AccessKind::read, PESO_CALLER); }
void __tsan_write_range(void* p, unsigned long size) { note(p, size, AccessKind::write, PESO_CALLER); }

// Atomics: the operation itself (sequentially consistent: the emulator runs a
// block on one host thread, so nothing weaker is observable), recorded as an
// atomic access, which races with no other atomic access.
#define PESO_TSAN_ATOMICS(bits, type)                                                                             \
    type __tsan_atomic##bits##_load(const volatile type* a, int) {                                               \
        note(a, sizeof(type), AccessKind::atomic_read, PESO_CALLER);                                              \
        return __atomic_load_n(a, __ATOMIC_SEQ_CST);                                                              \
    }                                                                                                             \
    void __tsan_atomic##bits##_store(volatile type* a, type v, int) {                                            \
        note(a, sizeof(type), AccessKind::atomic_write, PESO_CALLER);                                             \
        __atomic_store_n(a, v, __ATOMIC_SEQ_CST);                                                                 \
    }                                                                                                             \
    type __tsan_atomic##bits##_exchange(volatile type* a, type v, int) {                                         \
        note(a, sizeof(type), AccessKind::atomic_write, PESO_CALLER);                                             \
        return __atomic_exchange_n(a, v, __ATOMIC_SEQ_CST);                                                       \
    }                                                                                                             \
    type __tsan_atomic##bits##_fetch_add(volatile type* a, type v, int) {                                        \
        note(a, sizeof(type), AccessKind::atomic_write, PESO_CALLER);                                             \
        return __atomic_fetch_add(a, v, __ATOMIC_SEQ_CST);                                                        \
    }                                                                                                             \
    type __tsan_atomic##bits##_fetch_sub(volatile type* a, type v, int) {                                        \
        note(a, sizeof(type), AccessKind::atomic_write, PESO_CALLER);                                             \
        return __atomic_fetch_sub(a, v, __ATOMIC_SEQ_CST);                                                        \
    }                                                                                                             \
    type __tsan_atomic##bits##_fetch_and(volatile type* a, type v, int) {                                        \
        note(a, sizeof(type), AccessKind::atomic_write, PESO_CALLER);                                             \
        return __atomic_fetch_and(a, v, __ATOMIC_SEQ_CST);                                                        \
    }                                                                                                             \
    type __tsan_atomic##bits##_fetch_or(volatile type* a, type v, int) {                                         \
        note(a, sizeof(type), AccessKind::atomic_write, PESO_CALLER);                                             \
        return __atomic_fetch_or(a, v, __ATOMIC_SEQ_CST);                                                         \
    }                                                                                                             \
    type __tsan_atomic##bits##_fetch_xor(volatile type* a, type v, int) {                                        \
        note(a, sizeof(type), AccessKind::atomic_write, PESO_CALLER);                                             \
        return __atomic_fetch_xor(a, v, __ATOMIC_SEQ_CST);                                                        \
    }                                                                                                             \
    type __tsan_atomic##bits##_fetch_nand(volatile type* a, type v, int) {                                       \
        note(a, sizeof(type), AccessKind::atomic_write, PESO_CALLER);                                             \
        return __atomic_fetch_nand(a, v, __ATOMIC_SEQ_CST);                                                       \
    }                                                                                                             \
    int __tsan_atomic##bits##_compare_exchange_strong(volatile type* a, type* expected, type v, int, int) {     \
        note(a, sizeof(type), AccessKind::atomic_write, PESO_CALLER);                                             \
        return __atomic_compare_exchange_n(a, expected, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);            \
    }                                                                                                             \
    int __tsan_atomic##bits##_compare_exchange_weak(volatile type* a, type* expected, type v, int, int) {       \
        note(a, sizeof(type), AccessKind::atomic_write, PESO_CALLER);                                             \
        return __atomic_compare_exchange_n(a, expected, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);            \
    }                                                                                                             \
    type __tsan_atomic##bits##_compare_exchange_val(volatile type* a, type expected, type v, int, int) {        \
        note(a, sizeof(type), AccessKind::atomic_write, PESO_CALLER);                                             \
        __atomic_compare_exchange_n(a, &expected, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);                  \
        return expected;                                                                                          \
    }
PESO_TSAN_ATOMICS(8, unsigned char)
PESO_TSAN_ATOMICS(16, unsigned short)
PESO_TSAN_ATOMICS(32, unsigned int)
PESO_TSAN_ATOMICS(64, unsigned long long)
#undef PESO_TSAN_ATOMICS

void __tsan_atomic_thread_fence(int) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
void __tsan_atomic_signal_fence(int) { __atomic_signal_fence(__ATOMIC_SEQ_CST); }

}  // extern "C"
