// float32 -> bfloat16 rounding loops: AVX-512 BF16 when the CPU has it (chosen
// at run time, so one binary serves CPUs with and without it), else portable.
#include "core/bfloat16.h"

#include <cstring>

#include "core/error.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define PESO_HAVE_AVX512_BF16_BUILD 1
#endif

namespace peso::bf16 {

void round_from_f32_portable(const float* in, bfloat16* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out[i] = bfloat16(in[i]);
}

#ifdef PESO_HAVE_AVX512_BF16_BUILD

namespace {

__attribute__((target("avx512bf16,avx512f,avx512vl,avx512bw"))) void round_avx512(const float* in, bfloat16* out,
                                                                                    std::size_t n) {
    std::size_t i = 0;
    for (; i + 32 <= n; i += 32) {  // two vectors per step: the conversion has a 2-cycle throughput
        const __m512bh r = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(in + i + 16), _mm512_loadu_ps(in + i));
        _mm512_storeu_si512(out + i, reinterpret_cast<__m512i>(r));
    }
    for (; i < n; i += 16) {
        const auto m = static_cast<__mmask16>(n - i >= 16 ? 0xffffu : (1u << (n - i)) - 1u);
        const __m256bh r = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, in + i));
        _mm256_mask_storeu_epi16(out + i, m, reinterpret_cast<__m256i>(r));
    }
}

bool detect() { return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw"); }

}  // namespace

bool cpu_has_avx512_bf16() {
    static const bool has = detect();
    return has;
}

void round_from_f32_avx512(const float* in, bfloat16* out, std::size_t n) {
    PESO_CHECK(cpu_has_avx512_bf16(), NotImplementedError, "bf16: this CPU has no AVX-512 BF16 instructions");
    round_avx512(in, out, n);
}

#else

bool cpu_has_avx512_bf16() { return false; }

void round_from_f32_avx512(const float*, bfloat16*, std::size_t) {
    throw NotImplementedError("bf16: this build has no AVX-512 BF16 code (not an x86-64 GCC/Clang build)");
}

#endif

void round_from_f32(const float* in, bfloat16* out, std::size_t n) {
    if (cpu_has_avx512_bf16()) round_from_f32_avx512(in, out, n);
    else round_from_f32_portable(in, out, n);
}

void widen_to_f32(const bfloat16* in, float* out, std::size_t n) {
    // A shift the compiler vectorizes on its own.
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<float>(in[i]);
}

}  // namespace peso::bf16
