// Reference softmax and layer_norm: one row at a time, in double.
#include <algorithm>
#include <cmath>
#include <limits>

#include "backends/reference/reference_backend.h"

namespace peso {

void ReferenceBackend::softmax(const TensorArg& out, const TensorArg& in, bool log) {
    visit_floating(in.dtype, log ? "log_softmax" : "softmax", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const std::int64_t rows = in.sizes[0], n = in.sizes[1];
        for (std::int64_t r = 0; r < rows; ++r) {
            const T* x = in.ptr<T>() + r * n;
            T* y = out.ptr<T>() + r * n;
            // Subtracting the max keeps exp from overflowing; a row of -inf
            // gives -inf - -inf = NaN, as in PyTorch, and a NaN anywhere in
            // the row makes the sum, hence every output, NaN.
            double mx = -std::numeric_limits<double>::infinity();
            for (std::int64_t i = 0; i < n; ++i) mx = std::max(mx, static_cast<double>(x[i]));
            double sum = 0;
            for (std::int64_t i = 0; i < n; ++i) sum += std::exp(x[i] - mx);
            for (std::int64_t i = 0; i < n; ++i)
                y[i] = static_cast<T>(log ? x[i] - mx - std::log(sum) : std::exp(x[i] - mx) / sum);
        }
    });
}

void ReferenceBackend::layer_norm(const TensorArg& out, const TensorArg& mean, const TensorArg& rstd,
                                  const TensorArg& x, const TensorArg& weight, const TensorArg& bias, double eps) {
    visit_floating(x.dtype, "layer_norm", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const std::int64_t rows = x.sizes[0], d = x.sizes[1];
        const T* w = weight.ptr<T>();
        const T* b = bias.ptr<T>();
        for (std::int64_t r = 0; r < rows; ++r) {
            const T* xr = x.ptr<T>() + r * d;
            T* yr = out.ptr<T>() + r * d;
            double sum = 0;
            for (std::int64_t i = 0; i < d; ++i) sum += xr[i];
            const double mu = sum / static_cast<double>(d);
            double m2 = 0;
            for (std::int64_t i = 0; i < d; ++i) m2 += (xr[i] - mu) * (xr[i] - mu);
            const double rs = 1.0 / std::sqrt(m2 / static_cast<double>(d) + eps);  // biased variance, as PyTorch
            for (std::int64_t i = 0; i < d; ++i) {
                double v = (xr[i] - mu) * rs;
                if (w) v *= w[i];
                if (b) v += b[i];
                yr[i] = static_cast<T>(v);
            }
            mean.ptr<T>()[r * mean.strides[0]] = static_cast<T>(mu);
            rstd.ptr<T>()[r * rstd.strides[0]] = static_cast<T>(rs);
        }
    });
}

}  // namespace peso
