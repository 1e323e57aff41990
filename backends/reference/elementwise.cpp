// Reference elementwise primitives: one element at a time, floating values
// computed in double.
#include <cstring>

#include "backends/bf16_host.h"
#include "backends/host_allocator.h"
#include "backends/random_fn.h"
#include "backends/reference/reference_backend.h"
#include "backends/scalar_ops.h"
#include "backends/strided_index.h"

namespace peso {

namespace {

// The type a reference kernel computes in: double for floating types (bfloat16 too).
template <typename T>
using Wide = std::conditional_t<std::is_floating_point_v<T> || std::is_same_v<T, bfloat16>, double, T>;

template <typename T> T& at(const TensorArg& a, std::int64_t linear) { return a.ptr<T>()[offset_of(a, linear)]; }

}  // namespace

Allocator& ReferenceBackend::allocator() { return host_allocator(); }

void ReferenceBackend::copy_from_host(void* dst, const void* src, std::size_t nbytes) { std::memcpy(dst, src, nbytes); }
void ReferenceBackend::copy_to_host(void* dst, const void* src, std::size_t nbytes) { std::memcpy(dst, src, nbytes); }

void ReferenceBackend::copy(const TensorArg& dst, const TensorArg& src) {
    visit_dtype_with_bf16(dst.dtype, "copy", [&](auto dt) {
        using D = typename decltype(dt)::type;
        visit_dtype_with_bf16(src.dtype, "copy", [&](auto st) {
            using S = typename decltype(st)::type;
            for (std::int64_t i = 0; i < dst.numel(); ++i) at<D>(dst, i) = static_cast<D>(at<S>(src, i));
        });
    });
}

void ReferenceBackend::fill(const TensorArg& dst, Scalar value) {
    visit_dtype_with_bf16(dst.dtype, "fill", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const T v = value.to<T>();
        for (std::int64_t i = 0; i < dst.numel(); ++i) at<T>(dst, i) = v;
    });
}

void ReferenceBackend::arange(const TensorArg& dst, double start, double step) {
    visit_dtype_with_bf16(dst.dtype, "arange", [&](auto tag) {
        using T = typename decltype(tag)::type;
        for (std::int64_t i = 0; i < dst.numel(); ++i)
            at<T>(dst, i) = static_cast<T>(start + static_cast<double>(i) * step);
    });
}

void ReferenceBackend::random(const TensorArg& dst, RandomKind kind, std::uint64_t seed, std::uint64_t offset,
                              double a, double b) {
    visit_dtype_with_bf16(dst.dtype, "random", [&](auto tag) {
        using T = typename decltype(tag)::type;
        for (std::int64_t i = 0; i < dst.numel(); ++i) {
            const std::uint64_t index = offset + static_cast<std::uint64_t>(i);
            if constexpr (std::is_same_v<T, bfloat16>) at<T>(dst, i) = bf16::random_value(kind, seed, index, a, b);
            else at<T>(dst, i) = random_value<T>(kind, seed, index, a, b);
        }
    });
}

void ReferenceBackend::unary(UnaryOp op, const TensorArg& out, const TensorArg& in, const UnaryParams& p) {
    visit_dtype_with_bf16(in.dtype, op_name(op), [&](auto tag) {
        using T = typename decltype(tag)::type;
        scalar_ops::visit_unary(op, [&](auto opc) {
            constexpr UnaryOp OP = decltype(opc)::value;
            using R = decltype(scalar_ops::unary_fn<OP, Wide<T>>(Wide<T>{}, p));
            using O = std::conditional_t<std::is_same_v<R, bool>, bool, T>;
            for (std::int64_t i = 0; i < out.numel(); ++i) {
                const auto v = scalar_ops::unary_fn<OP, Wide<T>>(static_cast<Wide<T>>(at<T>(in, i)), p);
                at<O>(out, i) = static_cast<O>(v);
            }
        });
    });
}

void ReferenceBackend::binary(BinaryOp op, const TensorArg& out, const TensorArg& a, const TensorArg& b) {
    visit_dtype_with_bf16(a.dtype, op_name(op), [&](auto tag) {
        using T = typename decltype(tag)::type;
        scalar_ops::visit_binary(op, [&](auto opc) {
            constexpr BinaryOp OP = decltype(opc)::value;
            using O = std::conditional_t<is_comparison(OP), bool, T>;
            for (std::int64_t i = 0; i < out.numel(); ++i) {
                const auto v = scalar_ops::binary_fn<OP, Wide<T>>(static_cast<Wide<T>>(at<T>(a, i)),
                                                                  static_cast<Wide<T>>(at<T>(b, i)));
                at<O>(out, i) = static_cast<O>(v);
            }
        });
    });
}

void ReferenceBackend::where(const TensorArg& out, const TensorArg& cond, const TensorArg& a, const TensorArg& b) {
    visit_dtype_with_bf16(out.dtype, "where", [&](auto tag) {
        using T = typename decltype(tag)::type;
        for (std::int64_t i = 0; i < out.numel(); ++i) at<T>(out, i) = at<bool>(cond, i) ? at<T>(a, i) : at<T>(b, i);
    });
}

}  // namespace peso
