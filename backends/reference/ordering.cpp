// Reference sort, topk and cumsum: std::stable_sort on each row with NaN
// ordered above every number (as PyTorch), cumsum in double / int64.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <type_traits>
#include <vector>

#include "backends/bf16_host.h"
#include "backends/reference/reference_backend.h"

namespace peso {

namespace {

// a < b with NaN the largest value (all NaNs equal).
template <typename T> bool less_nan_last(T a, T b) {
    if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(a)) return false;
        if (std::isnan(b)) return true;
    }
    return a < b;
}

// The positions of row `x` (length n) in stable ascending or descending order.
template <typename T> std::vector<std::int64_t> stable_order(const T* x, std::int64_t n, bool descending) {
    std::vector<std::int64_t> idx(static_cast<std::size_t>(n));
    std::iota(idx.begin(), idx.end(), std::int64_t{0});
    std::stable_sort(idx.begin(), idx.end(), [&](std::int64_t i, std::int64_t j) {
        return descending ? less_nan_last(x[j], x[i]) : less_nan_last(x[i], x[j]);
    });
    return idx;
}

// Writes the first `k` of each row's stable order to values/indices (rows of k).
void ordered_rows(const TensorArg& values, const TensorArg& indices, const TensorArg& in, std::int64_t k,
                  bool descending, const char* op) {
    visit_dtype(in.dtype, op, [&](auto tag) {
        using T = typename decltype(tag)::type;
        const std::int64_t rows = in.sizes[0], n = in.sizes[1];
        for (std::int64_t r = 0; r < rows; ++r) {
            const T* x = in.ptr<T>() + r * n;
            const std::vector<std::int64_t> idx = stable_order(x, n, descending);
            for (std::int64_t i = 0; i < k; ++i) {
                values.ptr<T>()[r * k + i] = x[idx[static_cast<std::size_t>(i)]];
                indices.ptr<std::int64_t>()[r * k + i] = idx[static_cast<std::size_t>(i)];
            }
        }
    });
}

}  // namespace

void ReferenceBackend::sort(const TensorArg& values, const TensorArg& indices, const TensorArg& in,
                            bool descending) {
    if (bf16::any(values, in)) {  // the float32 kernel on widened copies (bf16_host.h)
        const bf16::Widened w_values(*this, values, bf16::Widened::Role::out),
              w_in(*this, in, bf16::Widened::Role::in);
        return sort(w_values, indices, w_in, descending);
    }
    ordered_rows(values, indices, in, in.sizes[1], descending, "sort");
}

void ReferenceBackend::topk(const TensorArg& values, const TensorArg& indices, const TensorArg& in, std::int64_t k,
                            bool largest) {
    if (bf16::any(values, in)) {  // the float32 kernel on widened copies (bf16_host.h)
        const bf16::Widened w_values(*this, values, bf16::Widened::Role::out),
              w_in(*this, in, bf16::Widened::Role::in);
        return topk(w_values, indices, w_in, k, largest);
    }
    ordered_rows(values, indices, in, k, largest, "topk");
}

void ReferenceBackend::cumsum(const TensorArg& out, const TensorArg& in) {
    if (bf16::any(out, in)) {  // the float32 kernel on widened copies (bf16_host.h)
        const bf16::Widened w_out(*this, out, bf16::Widened::Role::out),
              w_in(*this, in, bf16::Widened::Role::in);
        return cumsum(w_out, w_in);
    }
    visit_dtype(in.dtype, "cumsum", [&](auto tag) {
        using T = typename decltype(tag)::type;
        using Acc = std::conditional_t<std::is_floating_point_v<T>, double, std::int64_t>;
        using O = std::conditional_t<std::is_floating_point_v<T>, T, std::int64_t>;
        const std::int64_t rows = in.sizes[0], n = in.sizes[1];
        for (std::int64_t r = 0; r < rows; ++r) {
            Acc acc = 0;
            for (std::int64_t i = 0; i < n; ++i) {
                acc += static_cast<Acc>(in.ptr<T>()[r * n + i]);
                out.ptr<O>()[r * n + i] = static_cast<O>(acc);
            }
        }
    });
}

}  // namespace peso
