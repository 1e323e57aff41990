// sum |x|^p (or max |x|) of many contiguous tensors: fixed-size blocks, each
// summed in double on its own, the block sums added in order, so that the
// result does not depend on the thread count; all tensors' blocks in one
// parallel region.
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "backends/bf16_host.h"
#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/parallel.h"

namespace peso {

namespace {

constexpr std::int64_t kBlock = 1 << 16;

// One block of one tensor. NaN anywhere gives NaN, as PyTorch's norm does.
template <typename T> double block_power_sum(const T* x, std::int64_t begin, std::int64_t end, double p) {
    double acc = 0.0;
    if (std::isinf(p)) {
        bool nan = false;
        for (std::int64_t i = begin; i < end; ++i) {
            const double a = std::fabs(static_cast<double>(x[i]));
            nan |= a != a;
            acc = a > acc ? a : acc;
        }
        return nan ? std::nan("") : acc;
    }
    if (p == 2.0) {
#pragma omp simd reduction(+ : acc)
        for (std::int64_t i = begin; i < end; ++i) acc += static_cast<double>(x[i]) * static_cast<double>(x[i]);
    } else if (p == 1.0) {
#pragma omp simd reduction(+ : acc)
        for (std::int64_t i = begin; i < end; ++i) acc += std::fabs(static_cast<double>(x[i]));
    } else {
        for (std::int64_t i = begin; i < end; ++i) acc += std::pow(std::fabs(static_cast<double>(x[i])), p);
    }
    return acc;
}

double combine(double total, double v, bool inf) {
    if (!inf) return total + v;
    return (v > total || v != v) ? v : total;
}

}  // namespace

void CpuBackend::norm_powers(const TensorArg& out, std::span<const TensorArg> inputs, double p) {
    if (std::any_of(inputs.begin(), inputs.end(), [](const TensorArg& x) { return x.dtype == DType::bf16; })) {
        // The float32 kernel on widened copies (bf16_host.h).
        std::vector<std::unique_ptr<bf16::Widened>> held;
        std::vector<TensorArg> wide;
        for (const TensorArg& x : inputs) {
            held.push_back(std::make_unique<bf16::Widened>(*this, x, bf16::Widened::Role::in));
            wide.push_back(*held.back());
        }
        return norm_powers(out, wide, p);
    }
    struct Block {
        std::size_t input;
        std::int64_t begin, end;
    };
    std::vector<Block> blocks;
    for (std::size_t k = 0; k < inputs.size(); ++k) {
        visit_floating(inputs[k].dtype, "norm_powers", [](auto) {});
        const std::int64_t n = inputs[k].numel();
        for (std::int64_t b = 0; b < n; b += kBlock) blocks.push_back({k, b, std::min(n, b + kBlock)});
    }
    std::vector<double> partial(blocks.size(), 0.0);
    cpu::parallel_for(static_cast<std::int64_t>(blocks.size()), 1, [&](std::int64_t b0, std::int64_t b1) {
        for (std::int64_t b = b0; b < b1; ++b) {
            const Block& blk = blocks[static_cast<std::size_t>(b)];
            const TensorArg& x = inputs[blk.input];
            partial[static_cast<std::size_t>(b)] =
                x.dtype == DType::f32 ? block_power_sum(x.ptr<float>(), blk.begin, blk.end, p)
                                      : block_power_sum(x.ptr<double>(), blk.begin, blk.end, p);
        }
    });
    double* o = out.ptr<double>();
    for (std::size_t k = 0; k < inputs.size(); ++k) o[k] = 0.0;
    const bool inf = std::isinf(p);
    for (std::size_t b = 0; b < blocks.size(); ++b) o[blocks[b].input] = combine(o[blocks[b].input], partial[b], inf);
}

}  // namespace peso
