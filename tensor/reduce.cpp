// Reduction front-ends: dim wrapping, output dtype and shape, and the layout of
// the reduce primitives (tensor/reduce_layout.h); then one backend call.
#include <cmath>

#include "backends/registry.h"
#include "tensor/native.h"
#include "tensor/reduce_layout.h"

namespace peso::native {

namespace {

// The dtype sum, prod and cumsum-like accumulations produce: integers and bools
// widen to int64 (as in PyTorch), floating types stay.
DType accumulate_dtype(DType t) { return is_floating(t) ? t : DType::i64; }

void check_defined(const Tensor& x, const char* op) {
    PESO_CHECK(x.defined(), ValueError, "{}: undefined input", op);
}

void check_floating(const Tensor& x, const char* op) {
    PESO_CHECK(is_floating(x.dtype()), DTypeError,
               "{}: expected a floating input (float32 or float64), got {}; convert it with to(DType::f32)", op,
               x.dtype());
}

// Allocates the (non-keepdim) output of reducing x over mask; the caller fills it.
Tensor reduction_output(const Tensor& x, DimMask mask, DType dtype) {
    return empty(reduced_shape(x.sizes(), mask, false), TensorOptions(dtype).device(x.device()));
}

Tensor with_keepdim(const Tensor& out, const Tensor& x, DimMask mask, bool keepdim) {
    return keepdim ? view(out, reduced_shape(x.sizes(), mask, true)) : out;
}

Tensor reduce(ReduceOp op, const Tensor& x, const Dims& dims, bool keepdim, DType out_dtype, const char* name) {
    check_defined(x, name);
    const DimMask mask = reduction_mask(dims, x.dim(), name);
    if (op == ReduceOp::max || op == ReduceOp::min) check_nonempty_reduction(x.sizes(), mask, name);
    Tensor out = reduction_output(x, mask, out_dtype);
    if (out.numel() > 0) {
        const ReduceArgs args = reduce_args(out, x, mask);
        backend_for(x.device()).reduce(op, args.out, args.in);
    }
    return with_keepdim(out, x, mask, keepdim);
}

std::tuple<Tensor, Tensor> reduce_with_index(ReduceOp op, const Tensor& x, std::int64_t dim, bool keepdim,
                                             const char* name) {
    check_defined(x, name);
    const DimMask mask = reduction_mask({dim}, x.dim(), name);
    check_nonempty_reduction(x.sizes(), mask, name);
    Tensor values = reduction_output(x, mask, x.dtype());
    Tensor indices = reduction_output(x, mask, DType::i64);
    if (values.numel() > 0) {
        // A 0-dim input reduces over a dim of size 1 that only exists here.
        const Tensor src = x.dim() == 0 ? view(x, {1}) : x;
        const DimMask m = x.dim() == 0 ? DimMask(1) : mask;
        ReduceArgs args = reduce_args(values, src, m, /*keep_reduced_dims=*/true);
        TensorArg idx = args.out;
        idx.data = indices.data_ptr();
        idx.dtype = DType::i64;
        backend_for(x.device()).reduce_with_index(op, args.out, idx, args.in);
    }
    return {with_keepdim(values, x, mask, keepdim), with_keepdim(indices, x, mask, keepdim)};
}

Tensor arg_extreme(ReduceOp op, const Tensor& x, std::optional<std::int64_t> dim, bool keepdim, const char* name) {
    check_defined(x, name);
    if (dim) return std::get<1>(reduce_with_index(op, x, *dim, keepdim, name));
    PESO_CHECK(x.numel() > 0, IndexError, "{}: cannot take the {} of an empty tensor (shape {})", name,
               op == ReduceOp::max ? "argmax" : "argmin", x.sizes());
    Tensor idx = std::get<1>(reduce_with_index(op, reshape(x, {-1}), 0, false, name));
    return keepdim ? view(idx, Dims::filled(x.dim(), 1)) : idx;
}

}  // namespace

Tensor sum(const Tensor& x, const Dims& dims, bool keepdim) {
    check_defined(x, "sum");
    return reduce(ReduceOp::sum, x, dims, keepdim, accumulate_dtype(x.dtype()), "sum");
}

Tensor prod(const Tensor& x, const Dims& dims, bool keepdim) {
    check_defined(x, "prod");
    return reduce(ReduceOp::prod, x, dims, keepdim, accumulate_dtype(x.dtype()), "prod");
}

Tensor mean(const Tensor& x, const Dims& dims, bool keepdim) {
    check_defined(x, "mean");
    check_floating(x, "mean");
    const DimMask mask = reduction_mask(dims, x.dim(), "mean");
    Tensor out = reduce(ReduceOp::sum, x, dims, keepdim, x.dtype(), "mean");
    // An empty reduction gives 0 / 0 = NaN, as in PyTorch.
    binary_(BinaryOp::div, out, scalar_tensor(static_cast<double>(reduced_numel(x.sizes(), mask)), out.options()));
    return out;
}

Tensor var(const Tensor& x, const Dims& dims, double correction, bool keepdim) {
    check_defined(x, "var");
    check_floating(x, "var");
    const DimMask mask = reduction_mask(dims, x.dim(), "var");
    Tensor out = reduction_output(x, mask, x.dtype());
    if (out.numel() > 0) {
        const ReduceArgs args = reduce_args(out, x, mask);
        backend_for(x.device()).reduce_var(args.out, args.in, correction);
    }
    return with_keepdim(out, x, mask, keepdim);
}

Tensor std(const Tensor& x, const Dims& dims, double correction, bool keepdim) {
    return sqrt(var(x, dims, correction, keepdim));
}

Tensor amax(const Tensor& x, const Dims& dims, bool keepdim) {
    check_defined(x, "amax");
    return reduce(ReduceOp::max, x, dims, keepdim, x.dtype(), "amax");
}

Tensor amin(const Tensor& x, const Dims& dims, bool keepdim) {
    check_defined(x, "amin");
    return reduce(ReduceOp::min, x, dims, keepdim, x.dtype(), "amin");
}

Tensor all(const Tensor& x, const Dims& dims, bool keepdim) {
    check_defined(x, "all");
    return reduce(ReduceOp::all, x, dims, keepdim, DType::b8, "all");
}

Tensor any(const Tensor& x, const Dims& dims, bool keepdim) {
    check_defined(x, "any");
    return reduce(ReduceOp::any, x, dims, keepdim, DType::b8, "any");
}

std::tuple<Tensor, Tensor> max(const Tensor& x, std::int64_t dim, bool keepdim) {
    return reduce_with_index(ReduceOp::max, x, dim, keepdim, "max");
}

std::tuple<Tensor, Tensor> min(const Tensor& x, std::int64_t dim, bool keepdim) {
    return reduce_with_index(ReduceOp::min, x, dim, keepdim, "min");
}

Tensor argmax(const Tensor& x, std::optional<std::int64_t> dim, bool keepdim) {
    return arg_extreme(ReduceOp::max, x, dim, keepdim, "argmax");
}

Tensor argmin(const Tensor& x, std::optional<std::int64_t> dim, bool keepdim) {
    return arg_extreme(ReduceOp::min, x, dim, keepdim, "argmin");
}

Tensor logsumexp(const Tensor& x, const Dims& dims, bool keepdim) {
    check_defined(x, "logsumexp");
    const Tensor xf = is_floating(x.dtype()) ? x : to_dtype(x, kDefaultDType);
    const DimMask mask = reduction_mask(dims, x.dim(), "logsumexp");
    // Nothing to reduce: log(0) = -inf, and there is no max to shift by.
    if (reduced_numel(x.sizes(), mask) == 0) return log(sum(exp(xf), dims, keepdim));
    // Shift by the max so that exp cannot overflow; an infinite max would turn
    // x - max into NaN (-inf - -inf), so those rows are not shifted.
    Tensor shift = amax(xf, dims, /*keepdim=*/true);
    masked_fill_(shift, isinf(shift), 0.0);
    Tensor out = log(sum(exp(sub(xf, shift)), dims, keepdim));
    return add(out, keepdim ? shift : view(shift, out.sizes()));
}

Tensor norm_powers(const std::vector<Tensor>& xs, double p) {
    PESO_CHECK(p > 0.0, ValueError, "norm_powers: p must be positive or infinite, got {}", p);
    PESO_CHECK(!xs.empty(), ValueError, "norm_powers: no tensors");
    const Device device = xs.front().device();
    std::vector<Tensor> ready;  // owns the contiguous copies while the backend reads them
    std::vector<TensorArg> args;
    ready.reserve(xs.size());
    for (const Tensor& x : xs) {
        check_defined(x, "norm_powers");
        PESO_CHECK(x.device() == device, DeviceError, "norm_powers: tensors on {} and {}", device, x.device());
        const bool direct = (x.dtype() == DType::f32 || x.dtype() == DType::f64) && x.is_contiguous();
        ready.push_back(direct ? x : contiguous(to_dtype(x, DType::f64)));
        args.push_back(ready.back().arg());
    }
    Tensor out = empty({static_cast<std::int64_t>(xs.size())}, TensorOptions(DType::f64).device(device));
    backend_for(device).norm_powers(out.arg(), args, p);
    return out;
}

}  // namespace peso::native
