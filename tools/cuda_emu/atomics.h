#pragma once
// CUDA's atomic functions over std::atomic_ref, with CUDA's overload set (no
// more: what compiles here must compile under nvcc). Each returns the old value.
#include <atomic>

namespace peso::cuda::emu {

template <class T, class Update>
T atomic_update(T* address, Update update) {
    std::atomic_ref<T> ref(*address);
    T old = ref.load();
    while (!ref.compare_exchange_weak(old, update(old))) {
    }
    return old;
}

}  // namespace peso::cuda::emu

#define PESO_EMU_ATOMIC_FETCH(name, type, method)                 \
    inline type name(type* address, type value) {                 \
        return std::atomic_ref<type>(*address).method(value);     \
    }
PESO_EMU_ATOMIC_FETCH(atomicAdd, int, fetch_add)
PESO_EMU_ATOMIC_FETCH(atomicAdd, unsigned int, fetch_add)
PESO_EMU_ATOMIC_FETCH(atomicAdd, unsigned long long, fetch_add)
PESO_EMU_ATOMIC_FETCH(atomicAdd, float, fetch_add)
PESO_EMU_ATOMIC_FETCH(atomicAdd, double, fetch_add)
PESO_EMU_ATOMIC_FETCH(atomicSub, int, fetch_sub)
PESO_EMU_ATOMIC_FETCH(atomicSub, unsigned int, fetch_sub)
PESO_EMU_ATOMIC_FETCH(atomicExch, int, exchange)
PESO_EMU_ATOMIC_FETCH(atomicExch, unsigned int, exchange)
PESO_EMU_ATOMIC_FETCH(atomicExch, unsigned long long, exchange)
PESO_EMU_ATOMIC_FETCH(atomicExch, float, exchange)
PESO_EMU_ATOMIC_FETCH(atomicAnd, int, fetch_and)
PESO_EMU_ATOMIC_FETCH(atomicAnd, unsigned int, fetch_and)
PESO_EMU_ATOMIC_FETCH(atomicAnd, unsigned long long, fetch_and)
PESO_EMU_ATOMIC_FETCH(atomicOr, int, fetch_or)
PESO_EMU_ATOMIC_FETCH(atomicOr, unsigned int, fetch_or)
PESO_EMU_ATOMIC_FETCH(atomicOr, unsigned long long, fetch_or)
PESO_EMU_ATOMIC_FETCH(atomicXor, int, fetch_xor)
PESO_EMU_ATOMIC_FETCH(atomicXor, unsigned int, fetch_xor)
PESO_EMU_ATOMIC_FETCH(atomicXor, unsigned long long, fetch_xor)
#undef PESO_EMU_ATOMIC_FETCH

#define PESO_EMU_ATOMIC_MIN_MAX(type)                                                                         \
    inline type atomicMin(type* address, type value) {                                                        \
        return ::peso::cuda::emu::atomic_update(address, [value](type old) { return value < old ? value : old; }); \
    }                                                                                                         \
    inline type atomicMax(type* address, type value) {                                                        \
        return ::peso::cuda::emu::atomic_update(address, [value](type old) { return value > old ? value : old; }); \
    }
PESO_EMU_ATOMIC_MIN_MAX(int)
PESO_EMU_ATOMIC_MIN_MAX(unsigned int)
PESO_EMU_ATOMIC_MIN_MAX(long long)
PESO_EMU_ATOMIC_MIN_MAX(unsigned long long)
#undef PESO_EMU_ATOMIC_MIN_MAX

#define PESO_EMU_ATOMIC_CAS(type)                                              \
    inline type atomicCAS(type* address, type compare, type value) {          \
        std::atomic_ref<type>(*address).compare_exchange_strong(compare, value); \
        return compare;                                                        \
    }
PESO_EMU_ATOMIC_CAS(int)
PESO_EMU_ATOMIC_CAS(unsigned int)
PESO_EMU_ATOMIC_CAS(unsigned long long)
PESO_EMU_ATOMIC_CAS(unsigned short int)
#undef PESO_EMU_ATOMIC_CAS

// ((old >= limit) ? 0 : old + 1) and ((old == 0 || old > limit) ? limit : old - 1), as CUDA defines them.
inline unsigned int atomicInc(unsigned int* address, unsigned int limit) {
    return ::peso::cuda::emu::atomic_update(address, [limit](unsigned int old) { return old >= limit ? 0u : old + 1; });
}
inline unsigned int atomicDec(unsigned int* address, unsigned int limit) {
    return ::peso::cuda::emu::atomic_update(address,
                                            [limit](unsigned int old) { return old == 0 || old > limit ? limit : old - 1; });
}

// Scope-qualified forms: a single emulated device has one scope.
#define PESO_EMU_ATOMIC_SCOPES(name)                                                                             \
    template <class T, class... Rest> auto name##_block(T* address, Rest... rest) { return name(address, rest...); } \
    template <class T, class... Rest> auto name##_system(T* address, Rest... rest) { return name(address, rest...); }
PESO_EMU_ATOMIC_SCOPES(atomicAdd)
PESO_EMU_ATOMIC_SCOPES(atomicSub)
PESO_EMU_ATOMIC_SCOPES(atomicExch)
PESO_EMU_ATOMIC_SCOPES(atomicMin)
PESO_EMU_ATOMIC_SCOPES(atomicMax)
PESO_EMU_ATOMIC_SCOPES(atomicCAS)
PESO_EMU_ATOMIC_SCOPES(atomicAnd)
PESO_EMU_ATOMIC_SCOPES(atomicOr)
PESO_EMU_ATOMIC_SCOPES(atomicXor)
#undef PESO_EMU_ATOMIC_SCOPES
