// CPU elementwise primitives.
#include <cstring>

#include "backends/bf16_host.h"
#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/elementwise_loop.h"
#include "backends/cpu/transpose_copy.h"
#include "backends/cpu/vec_unary.h"
#include "backends/host_allocator.h"
#include "backends/random_fn.h"
#include "backends/scalar_ops.h"

namespace peso {

Allocator& CpuBackend::allocator() { return host_allocator(); }

void CpuBackend::copy_from_host(void* dst, const void* src, std::size_t nbytes) { std::memcpy(dst, src, nbytes); }
void CpuBackend::copy_to_host(void* dst, const void* src, std::size_t nbytes) { std::memcpy(dst, src, nbytes); }

namespace {

// float32 <-> bfloat16 between contiguous buffers: the vector conversion loops.
bool try_contiguous_bf16_conversion(const TensorArg& dst, const TensorArg& src) {
    const bool narrow = dst.dtype == DType::bf16 && src.dtype == DType::f32;
    const bool widen = dst.dtype == DType::f32 && src.dtype == DType::bf16;
    if (!(narrow || widen) || !dst.is_contiguous() || !src.is_contiguous()) return false;
    cpu::parallel_for(dst.numel(), cpu::kParallelGrain * 4, [&](std::int64_t b, std::int64_t e) {
        const auto n = static_cast<std::size_t>(e - b);
        if (narrow) bf16::round_from_f32(src.ptr<const float>() + b, dst.ptr<bfloat16>() + b, n);
        else bf16::widen_to_f32(src.ptr<const bfloat16>() + b, dst.ptr<float>() + b, n);
    });
    return true;
}

}  // namespace

void CpuBackend::copy(const TensorArg& dst, const TensorArg& src) {
    if (dst.dtype == src.dtype && dst.is_contiguous() && src.is_contiguous()) {
        const auto bytes = static_cast<std::size_t>(dst.numel()) * itemsize(dst.dtype);
        char* d = static_cast<char*>(dst.data);
        const char* s = static_cast<const char*>(src.data);
        cpu::parallel_for(static_cast<std::int64_t>(bytes), cpu::kParallelGrain * 8, [&](std::int64_t b, std::int64_t e) {
            std::memcpy(d + b, s + b, static_cast<std::size_t>(e - b));
        });
        return;
    }
    if (try_contiguous_bf16_conversion(dst, src)) return;
    if (cpu::try_tiled_transpose_copy(dst, src)) return;
    visit_dtype_with_bf16(dst.dtype, "copy", [&](auto dt) {
        using D = typename decltype(dt)::type;
        visit_dtype_with_bf16(src.dtype, "copy", [&](auto st) {
            using S = typename decltype(st)::type;
            cpu::map<D, S>(dst, cpu::kParallelGrain, [](S v) { return static_cast<D>(v); }, {&src});
        });
    });
}

void CpuBackend::fill(const TensorArg& dst, Scalar value) {
    visit_dtype_with_bf16(dst.dtype, "fill", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const T v = value.to<T>();
        cpu::map<T>(dst, cpu::kParallelGrain, [v]() { return v; }, {});
    });
}

void CpuBackend::arange(const TensorArg& dst, double start, double step) {
    visit_dtype_with_bf16(dst.dtype, "arange", [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* p = dst.ptr<T>();
        cpu::parallel_for(dst.numel(), cpu::kParallelGrain, [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t i = b; i < e; ++i) p[i] = static_cast<T>(start + static_cast<double>(i) * step);
        });
    });
}

void CpuBackend::random(const TensorArg& dst, RandomKind kind, std::uint64_t seed, std::uint64_t offset, double a,
                        double b) {
    visit_dtype_with_bf16(dst.dtype, "random", [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* p = dst.ptr<T>();
        cpu::parallel_for(dst.numel(), 4096, [&](std::int64_t lo, std::int64_t hi) {
            for (std::int64_t i = lo; i < hi; ++i) {
                const std::uint64_t index = offset + static_cast<std::uint64_t>(i);
                if constexpr (std::is_same_v<T, bfloat16>) p[i] = bf16::random_value(kind, seed, index, a, b);
                else p[i] = random_value<T>(kind, seed, index, a, b);
            }
        });
    });
}

namespace {

// Grain for ops whose per-element cost is well above a load and a store.
constexpr std::int64_t grain_for(UnaryOp op) {
    switch (op) {
        case UnaryOp::neg: case UnaryOp::abs: case UnaryOp::relu: case UnaryOp::sign: case UnaryOp::clamp:
        case UnaryOp::logical_not: case UnaryOp::isnan: case UnaryOp::isinf: case UnaryOp::floor: case UnaryOp::ceil:
            return cpu::kParallelGrain;
        default: return 4096;
    }
}

}  // namespace

void CpuBackend::unary(UnaryOp op, const TensorArg& out, const TensorArg& in, const UnaryParams& p) {
    // bfloat16 (T) is read into float (F), computed in float, rounded once on store.
    visit_dtype_with_bf16(in.dtype, op_name(op), [&](auto tag) {
        using T = typename decltype(tag)::type;
        using F = bf16::compute_t<T>;
        scalar_ops::visit_unary(op, [&](auto opc) {
            constexpr UnaryOp OP = decltype(opc)::value;
            using R = decltype(scalar_ops::unary_fn<OP, F>(F{}, p));
            using O = std::conditional_t<std::is_same_v<R, bool>, bool, T>;
            const UnaryParams params = p;
            if constexpr (std::is_same_v<F, float> && cpu::has_vec_f32(OP)) {
                cpu::map<O, T>(out, grain_for(op), [](F x) { return cpu::vec_f32<OP>(x); }, {&in});
            } else {
                cpu::map<O, T>(out, grain_for(op), [params](F x) { return scalar_ops::unary_fn<OP, F>(x, params); },
                               {&in});
            }
        });
    });
}

void CpuBackend::binary(BinaryOp op, const TensorArg& out, const TensorArg& a, const TensorArg& b) {
    visit_dtype_with_bf16(a.dtype, op_name(op), [&](auto tag) {
        using T = typename decltype(tag)::type;
        using F = bf16::compute_t<T>;
        scalar_ops::visit_binary(op, [&](auto opc) {
            constexpr BinaryOp OP = decltype(opc)::value;
            using O = std::conditional_t<is_comparison(OP), bool, T>;
            const std::int64_t grain = OP == BinaryOp::pow ? 4096 : cpu::kParallelGrain;
            if constexpr (std::is_same_v<F, float> && OP == BinaryOp::gelu_tanh_backward)
                cpu::map<O, T, T>(
                    out, grain, [](float g, float x) { return cpu::gelu_tanh_backward_f32(g, x); }, {&a, &b});
            else if constexpr (std::is_same_v<F, float> && OP == BinaryOp::gelu_erf_backward)
                cpu::map<O, T, T>(
                    out, grain, [](float g, float x) { return cpu::gelu_erf_backward_f32(g, x); }, {&a, &b});
            else
                cpu::map<O, T, T>(out, grain, [](F x, F y) { return scalar_ops::binary_fn<OP, F>(x, y); }, {&a, &b});
        });
    });
}

void CpuBackend::where(const TensorArg& out, const TensorArg& cond, const TensorArg& a, const TensorArg& b) {
    visit_dtype_with_bf16(out.dtype, "where", [&](auto tag) {
        using T = typename decltype(tag)::type;
        cpu::map<T, bool, T, T>(out, cpu::kParallelGrain, [](bool c, T x, T y) { return c ? x : y; },
                                {&cond, &a, &b});
    });
}

}  // namespace peso
