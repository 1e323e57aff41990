// Reference softmax, layer_norm and its backward: one row at a time, in double.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "backends/bf16_host.h"
#include "backends/reference/reference_backend.h"

namespace peso {

void ReferenceBackend::softmax(const TensorArg& out, const TensorArg& in, bool log) {
    if (bf16::any(out, in)) {  // the float32 kernel on widened copies (bf16_host.h)
        const bf16::Widened w_out(*this, out, bf16::Widened::Role::out),
              w_in(*this, in, bf16::Widened::Role::in);
        return softmax(w_out, w_in, log);
    }
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
    if (bf16::any(out, mean, rstd, x, weight, bias)) {  // the float32 kernel on widened copies (bf16_host.h)
        const bf16::Widened w_out(*this, out, bf16::Widened::Role::out),
              w_mean(*this, mean, bf16::Widened::Role::out),
              w_rstd(*this, rstd, bf16::Widened::Role::out),
              w_x(*this, x, bf16::Widened::Role::in),
              w_weight(*this, weight, bf16::Widened::Role::in),
              w_bias(*this, bias, bf16::Widened::Role::in);
        return layer_norm(w_out, w_mean, w_rstd, w_x, w_weight, w_bias, eps);
    }
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

void ReferenceBackend::layer_norm_backward(const TensorArg& dx, const TensorArg& dweight, const TensorArg& dbias,
                                           const TensorArg& dy, const TensorArg& x, const TensorArg& mean,
                                           const TensorArg& rstd, const TensorArg& weight) {
    if (bf16::any(dx, dweight, dbias, dy, x, mean, rstd, weight)) {  // the float32 kernel on widened copies (bf16_host.h)
        const bf16::Widened w_dx(*this, dx, bf16::Widened::Role::out),
              w_dweight(*this, dweight, bf16::Widened::Role::out),
              w_dbias(*this, dbias, bf16::Widened::Role::out),
              w_dy(*this, dy, bf16::Widened::Role::in),
              w_x(*this, x, bf16::Widened::Role::in),
              w_mean(*this, mean, bf16::Widened::Role::in),
              w_rstd(*this, rstd, bf16::Widened::Role::in),
              w_weight(*this, weight, bf16::Widened::Role::in);
        return layer_norm_backward(w_dx, w_dweight, w_dbias, w_dy, w_x, w_mean, w_rstd, w_weight);
    }
    visit_floating(x.dtype, "layer_norm_backward", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const std::int64_t rows = x.sizes[0], d = x.sizes[1];
        const T* w = weight.ptr<T>();
        std::vector<double> dw(static_cast<std::size_t>(d), 0.0), db(static_cast<std::size_t>(d), 0.0);
        for (std::int64_t r = 0; r < rows; ++r) {
            const T* xr = x.ptr<T>() + r * d;
            const T* gr = dy.ptr<T>() + r * d;
            const double mu = mean.ptr<T>()[r * mean.strides[0]], rs = rstd.ptr<T>()[r * rstd.strides[0]];
            // dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * w.
            double sum_g = 0, sum_gx = 0;
            for (std::int64_t i = 0; i < d; ++i) {
                const double xhat = (xr[i] - mu) * rs, g = w ? gr[i] * static_cast<double>(w[i]) : gr[i];
                sum_g += g;
                sum_gx += g * xhat;
                dw[i] += gr[i] * xhat;
                db[i] += gr[i];
            }
            if (!dx.data) continue;
            const double m1 = sum_g / static_cast<double>(d), m2 = sum_gx / static_cast<double>(d);
            for (std::int64_t i = 0; i < d; ++i) {
                const double xhat = (xr[i] - mu) * rs, g = w ? gr[i] * static_cast<double>(w[i]) : gr[i];
                dx.ptr<T>()[r * d + i] = static_cast<T>(rs * (g - m1 - xhat * m2));
            }
        }
        for (std::int64_t i = 0; i < d; ++i) {
            if (dweight.data) dweight.ptr<T>()[i] = static_cast<T>(dw[i]);
            if (dbias.data) dbias.ptr<T>()[i] = static_cast<T>(db[i]);
        }
    });
}

}  // namespace peso
