#include "nn/clip_grad.h"

#include <algorithm>
#include <cmath>

#include "backends/cpu/parallel.h"
#include "peso.h"

namespace peso::nn {

namespace {

// Fixed-size blocks, each summed on its own and the block sums added in
// order: the total does not depend on the thread count.
constexpr std::int64_t kBlock = 1 << 16;

// sum |x|^p (p finite) or max |x| (p infinite) of a contiguous CPU tensor,
// in double. NaN anywhere gives NaN, as PyTorch's norm does.
template <typename T> double reduce_contiguous(const T* x, std::int64_t n, double p) {
    const std::int64_t blocks = (n + kBlock - 1) / kBlock;
    std::vector<double> partial(static_cast<std::size_t>(blocks), 0.0);
    const bool inf = std::isinf(p);
    cpu::parallel_for(blocks, 1, [&](std::int64_t b0, std::int64_t b1) {
        for (std::int64_t b = b0; b < b1; ++b) {
            const std::int64_t begin = b * kBlock, end = std::min(n, begin + kBlock);
            double acc = 0.0;
            if (inf) {
                bool nan = false;
                for (std::int64_t i = begin; i < end; ++i) {
                    const double a = std::fabs(static_cast<double>(x[i]));
                    nan |= a != a;
                    acc = a > acc ? a : acc;
                }
                if (nan) acc = std::nan("");
            } else if (p == 2.0) {
#pragma omp simd reduction(+ : acc)
                for (std::int64_t i = begin; i < end; ++i) acc += static_cast<double>(x[i]) * static_cast<double>(x[i]);
            } else if (p == 1.0) {
#pragma omp simd reduction(+ : acc)
                for (std::int64_t i = begin; i < end; ++i) acc += std::fabs(static_cast<double>(x[i]));
            } else {
                for (std::int64_t i = begin; i < end; ++i) acc += std::pow(std::fabs(static_cast<double>(x[i])), p);
            }
            partial[static_cast<std::size_t>(b)] = acc;
        }
    });
    double total = 0.0;
    for (double v : partial) {
        if (inf) total = (v > total || v != v) ? v : total;
        else total += v;
    }
    return total;
}

// sum |g|^p or max |g| of one gradient, any device and layout.
double reduce_grad(const Tensor& g, double p) {
    if (g.numel() == 0) return 0.0;
    if (g.device().is_cpu() && g.is_contiguous()) {
        if (g.dtype() == DType::f32) return reduce_contiguous(g.data_ptr<float>(), g.numel(), p);
        if (g.dtype() == DType::f64) return reduce_contiguous(g.data_ptr<double>(), g.numel(), p);
    }
    const Tensor a = native::abs(native::to_dtype(g, DType::f64));
    const Tensor r = std::isinf(p) ? native::amax(a) : native::sum(p == 2.0 ? native::mul(a, a) : native::pow(a, p));
    return native::to_device(r, Device::cpu()).item<double>();
}

std::vector<Tensor> defined_grads(const std::vector<Tensor>& params) {
    std::vector<Tensor> grads;
    for (const Tensor& p : params) {
        Tensor g = p.grad();
        if (g.defined()) grads.push_back(g);
    }
    return grads;
}

}  // namespace

double grad_norm(const std::vector<Tensor>& params, double norm_type) {
    PESO_CHECK(norm_type > 0.0, ValueError, "grad_norm: norm_type must be positive or infinite, got {}", norm_type);
    NoGradGuard no_grad;
    const bool inf = std::isinf(norm_type);
    double acc = 0.0;
    for (const Tensor& g : defined_grads(params)) {
        const double r = reduce_grad(g, norm_type);
        if (inf) acc = (r > acc || r != r) ? r : acc;
        else acc += r;
    }
    if (inf || norm_type == 1.0) return acc;
    if (norm_type == 2.0) return std::sqrt(acc);
    return std::pow(acc, 1.0 / norm_type);
}

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type, bool error_if_nonfinite) {
    const std::vector<Tensor> grads = defined_grads(params);
    if (grads.empty()) return 0.0;
    const double total = grad_norm(params, norm_type);
    PESO_CHECK(!error_if_nonfinite || std::isfinite(total), ValueError,
               "clip_grad_norm_: the total norm of order {} of the gradients is {}; set error_if_nonfinite=false "
               "to clip anyway",
               norm_type, total);
    const double coef = std::min(max_norm / (total + 1e-6), 1.0);
    // PyTorch multiplies even when the coefficient is 1 (a no-op), so skip it then; NaN still propagates.
    if (coef == 1.0) return total;
    NoGradGuard no_grad;
    for (Tensor g : grads) g.mul_(coef);
    return total;
}

void clip_grad_value_(const std::vector<Tensor>& params, double clip_value) {
    NoGradGuard no_grad;
    for (Tensor g : defined_grads(params)) g.clamp_(-clip_value, clip_value);
}

}  // namespace peso::nn
