// Reference batched matmul: the textbook triple loop over strided operands,
// floating products accumulated in double.
#include <type_traits>

#include "core/bfloat16.h"
#include "backends/reference/reference_backend.h"

namespace peso {

namespace {

// Floating sums run in double; integer sums wrap modulo 2^64 (unsigned, so
// that overflow is defined) and are then narrowed, as PyTorch's integer
// matmul wraps.
// bfloat16 operands are floating too (widened exactly, products summed in
// double, the sum rounded once into the float32 or bfloat16 out).
template <typename T>
using Accumulator =
    std::conditional_t<std::is_floating_point_v<T> || std::is_same_v<T, bfloat16>, double, std::uint64_t>;

template <typename T, typename O = T> void matmul_loop(const TensorArg& out, const TensorArg& a, const TensorArg& b) {
    using Acc = Accumulator<T>;
    const std::int64_t batch = out.sizes[0], m = out.sizes[1], n = out.sizes[2], k = a.sizes[2];
    const T* pa = a.ptr<const T>();
    const T* pb = b.ptr<const T>();
    O* po = out.ptr<O>();
    for (std::int64_t bi = 0; bi < batch; ++bi)
        for (std::int64_t i = 0; i < m; ++i)
            for (std::int64_t j = 0; j < n; ++j) {
                Acc sum = 0;
                for (std::int64_t p = 0; p < k; ++p) {
                    const T x = pa[bi * a.strides[0] + i * a.strides[1] + p * a.strides[2]];
                    const T y = pb[bi * b.strides[0] + p * b.strides[1] + j * b.strides[2]];
                    sum += static_cast<Acc>(x) * static_cast<Acc>(y);
                }
                po[bi * out.strides[0] + i * out.strides[1] + j * out.strides[2]] = static_cast<O>(sum);
            }
}

}  // namespace

void ReferenceBackend::matmul(const TensorArg& out, const TensorArg& a, const TensorArg& b) {
    switch (out.dtype) {
        case DType::f32:
            if (a.dtype == DType::bf16) return matmul_loop<bfloat16, float>(out, a, b);
            return matmul_loop<float>(out, a, b);
        case DType::bf16: return matmul_loop<bfloat16>(out, a, b);
        case DType::f64: return matmul_loop<double>(out, a, b);
        case DType::i32: return matmul_loop<std::int32_t>(out, a, b);
        case DType::i64: return matmul_loop<std::int64_t>(out, a, b);
        default: break;
    }
    throw DTypeError(fmt::format("matmul: reference backend has no kernel for dtype {}", out.dtype));
}

}  // namespace peso
