// Reference reductions: for each output element, one plain loop over the
// elements it reduces (in = out's dims then the reduced dims, so output o
// reduces in's row-major elements [o * n, (o + 1) * n)), accumulating in
// double for floating types and int64 for integers.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "core/bfloat16.h"
#include "backends/reference/reference_backend.h"
#include "backends/strided_index.h"

namespace peso {

namespace {

template <typename T> T& at(const TensorArg& a, std::int64_t linear) { return a.ptr<T>()[offset_of(a, linear)]; }

// bfloat16 reduces as the floating types do (accumulated in double, rounded once).
template <typename T> constexpr bool kFloating = std::is_floating_point_v<T> || std::is_same_v<T, bfloat16>;

// Elements each output reduces: the product of in's trailing (reduced) extents.
std::int64_t reduced_count(const TensorArg& out, const TensorArg& in) {
    std::int64_t n = 1;
    for (int d = out.dim(); d < in.dim(); ++d) n *= in.sizes[d];
    return n;
}

template <typename T> bool is_nan(T x) {
    if constexpr (kFloating<T>) return std::isnan(static_cast<double>(x));
    else return false;
}

// True when x should replace the current extreme `best` (NaN wins and stays).
template <typename T> bool beats(ReduceOp op, T x, T best) {
    if (is_nan(best)) return false;
    if (is_nan(x)) return true;
    return op == ReduceOp::max ? x > best : x < best;
}

template <typename T> void reduce_typed(ReduceOp op, const TensorArg& out, const TensorArg& in) {
    const std::int64_t n_out = out.numel(), n = reduced_count(out, in);
    using Acc = std::conditional_t<kFloating<T>, double, std::int64_t>;
    using Sum = std::conditional_t<kFloating<T>, T, std::int64_t>;  // sum/prod output type
    for (std::int64_t o = 0; o < n_out; ++o) {
        auto x = [&](std::int64_t r) { return at<T>(in, o * n + r); };
        switch (op) {
            case ReduceOp::sum: case ReduceOp::prod: {
                Acc acc = op == ReduceOp::sum ? 0 : 1;
                for (std::int64_t r = 0; r < n; ++r)
                    acc = op == ReduceOp::sum ? acc + static_cast<Acc>(x(r)) : acc * static_cast<Acc>(x(r));
                at<Sum>(out, o) = static_cast<Sum>(acc);
                break;
            }
            case ReduceOp::max: case ReduceOp::min: {
                PESO_CHECK(n > 0, IndexError, "reference {}: empty reduction", op_name(op));
                T best = x(0);
                for (std::int64_t r = 1; r < n; ++r)
                    if (beats(op, x(r), best)) best = x(r);
                at<T>(out, o) = best;
                break;
            }
            case ReduceOp::all: case ReduceOp::any: {
                bool acc = op == ReduceOp::all;
                for (std::int64_t r = 0; r < n; ++r)
                    acc = op == ReduceOp::all ? (acc && x(r) != T(0)) : (acc || x(r) != T(0));
                at<bool>(out, o) = acc;
                break;
            }
        }
    }
}

}  // namespace

void ReferenceBackend::reduce(ReduceOp op, const TensorArg& out, const TensorArg& in) {
    visit_dtype_with_bf16(in.dtype, op_name(op), [&](auto tag) { reduce_typed<typename decltype(tag)::type>(op, out, in); });
}

void ReferenceBackend::reduce_var(const TensorArg& out, const TensorArg& in, double correction) {
    const auto var = [&](auto tag) {
        using T = typename decltype(tag)::type;
        const std::int64_t n = reduced_count(out, in);
        // Two passes: the mean, then the squared deviations from it.
        for (std::int64_t o = 0; o < out.numel(); ++o) {
            double sum = 0;
            for (std::int64_t r = 0; r < n; ++r) sum += at<T>(in, o * n + r);
            const double mean = sum / static_cast<double>(n);
            double m2 = 0;
            for (std::int64_t r = 0; r < n; ++r) {
                const double dev = at<T>(in, o * n + r) - mean;
                m2 += dev * dev;
            }
            // As PyTorch: the divisor never goes below 0 (x / 0 gives inf or NaN).
            at<T>(out, o) = static_cast<T>(m2 / std::max(static_cast<double>(n) - correction, 0.0));
        }
    };
    if (in.dtype == DType::bf16) var(TypeTag<bfloat16>{});
    else visit_floating(in.dtype, "var", var);
}

void ReferenceBackend::reduce_with_index(ReduceOp op, const TensorArg& values, const TensorArg& indices,
                                         const TensorArg& in) {
    visit_dtype_with_bf16(in.dtype, op_name(op), [&](auto tag) {
        using T = typename decltype(tag)::type;
        const std::int64_t n = in.sizes[in.dim() - 1];
        PESO_CHECK(n > 0, IndexError, "reference {}: empty reduction", op_name(op));
        for (std::int64_t o = 0; o < values.numel(); ++o) {
            std::int64_t best = 0;
            for (std::int64_t r = 1; r < n; ++r)
                if (beats(op, at<T>(in, o * n + r), at<T>(in, o * n + best))) best = r;
            at<T>(values, o) = at<T>(in, o * n + best);
            at<std::int64_t>(indices, o) = best;
        }
    });
}

}  // namespace peso
