// matmul, mm and bmm with PyTorch's semantics. Every case becomes one backend
// call on 3-D operands (B, M, K) @ (B, K, N): 1-D operands gain a dim that is
// dropped from the result, broadcast batch dims become one batch dim (stride 0
// when broadcast), and matrices keep their strides so that a transposed view
// reaches BLAS as a transpose flag, not as a copy.
#include "backends/registry.h"
#include "tensor/broadcast.h"
#include "tensor/mixed_precision.h"
#include "tensor/native.h"

namespace peso::native {

namespace {

bool has_matmul_kernel(DType t) {
    return t == DType::bf16 || t == DType::f32 || t == DType::f64 || t == DType::i32 || t == DType::i64;
}

void check_operands(const char* op, const Tensor& a, const Tensor& b) {
    check_same_device(op, {&a, &b});
    // As in PyTorch, operands are not promoted: mixing float32 and float64 is
    // almost always a mistake that would silently double the cost.
    PESO_CHECK(a.dtype() == b.dtype(), DTypeError,
               "{}: expected both operands to have the same dtype, got {} (shape {}) and {} (shape {})", op,
               a.dtype(), a.sizes(), b.dtype(), b.sizes());
    PESO_CHECK(has_matmul_kernel(a.dtype()), DTypeError,
               "{}: dtype {} is not supported (bfloat16, float32, float64, int32 and int64 are)", op, a.dtype());
}

Dims leading_dims(const Tensor& t) {
    Dims d = t.sizes();
    d.resize(d.size() - 2);
    return d;
}

// The broadcast of both operands' batch dims; the error names the full shapes.
Dims broadcast_batch(const char* op, const Tensor& a, const Tensor& b, const Dims& a_shape, const Dims& b_shape) {
    const Dims x = leading_dims(a), y = leading_dims(b);
    const int n = std::max(x.size(), y.size());
    Dims out = Dims::filled(n, 1);
    for (int i = 0; i < n; ++i) {
        const int ix = x.size() - n + i, iy = y.size() - n + i;
        const std::int64_t sx = ix >= 0 ? x[ix] : 1, sy = iy >= 0 ? y[iy] : 1;
        PESO_CHECK(sx == sy || sx == 1 || sy == 1, ShapeError,
                   "{}: batch dims of shapes {} and {} cannot be broadcast ({} vs {})", op, a_shape, b_shape, sx, sy);
        out[i] = sx == 1 ? sy : sx;
    }
    return out;
}

// The one stride that walks dims `sizes` of `strides` in row-major order, if
// there is one (size-1 dims are free; all-broadcast dims give stride 0).
std::optional<std::int64_t> single_stride(const Dims& sizes, const Dims& strides) {
    std::optional<std::int64_t> inner;  // stride of the innermost non-1 dim so far
    std::int64_t span = 1;              // elements the dims inside the current one cover
    for (int i = sizes.size() - 1; i >= 0; --i) {
        if (sizes[i] == 1) continue;
        if (!inner) inner = strides[i];
        else if (strides[i] != *inner * span) return std::nullopt;
        span *= sizes[i];
    }
    return inner.value_or(0);
}

// A 3-D argument (B, R, C) over matrix operand t broadcast to batch + [R, C].
// `keep` holds a copy when the broadcast batch dims could not share one
// stride (e.g. (2, 1, R, C) against (1, 3, ...)), the only case that copies.
TensorArg batched_arg(const Tensor& t, const Dims& batch, Tensor& keep) {
    const std::int64_t rows = t.size(-2), cols = t.size(-1);
    Dims full = batch;
    full.push_back(rows);
    full.push_back(cols);
    Tensor e = expand(t, full);
    const Dims batch_strides = [&] {
        Dims s = e.strides();
        s.resize(batch.size());
        return s;
    }();
    std::optional<std::int64_t> stride = single_stride(batch, batch_strides);
    if (!stride) {
        e = contiguous(e);
        stride = rows * cols;
    }
    keep = e;
    TensorArg arg = e.arg();
    arg.sizes = Dims{batch.product(), rows, cols};
    arg.strides = Dims{*stride, e.stride(-2), e.stride(-1)};
    return arg;
}

Tensor matmul_impl(const char* op, const Tensor& a, const Tensor& b, DType out_dtype) {
    PESO_CHECK(a.defined() && b.defined(), ValueError, "{}: undefined operand", op);
    PESO_CHECK(a.dim() >= 1 && b.dim() >= 1, ShapeError, "{}: both operands need at least 1 dim, got shapes {} and {}",
               op, a.sizes(), b.sizes());
    check_operands(op, a, b);
    // A 1-D left operand is a row vector, a 1-D right operand a column vector.
    const Tensor a2 = a.dim() == 1 ? unsqueeze(a, 0) : a;
    const Tensor b2 = b.dim() == 1 ? unsqueeze(b, 1) : b;
    const std::int64_t m = a2.size(-2), k = a2.size(-1), n = b2.size(-1);
    PESO_CHECK(b2.size(-2) == k, ShapeError, "{}: shapes {} and {} cannot be multiplied ({} != {})", op, a.sizes(),
               b.sizes(), k, b2.size(-2));
    const Dims batch = broadcast_batch(op, a2, b2, a.sizes(), b.sizes());
    Dims shape = batch;
    shape.push_back(m);
    shape.push_back(n);
    Tensor out = empty(shape, a.options().dtype(out_dtype));
    if (k == 0) {
        zero_(out);
    } else if (out.numel() > 0) {
        Tensor keep_a, keep_b;
        const TensorArg x = batched_arg(a2, batch, keep_a);
        const TensorArg y = batched_arg(b2, batch, keep_b);
        TensorArg o = out.arg();
        o.sizes = Dims{batch.product(), m, n};
        o.strides = contiguous_strides(o.sizes);
        backend_for(out.device()).matmul(o, x, y);
    }
    Dims result = batch;
    if (a.dim() > 1) result.push_back(m);
    if (b.dim() > 1) result.push_back(n);
    return view(out, result);
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) { return matmul_impl("matmul", a, b, a.dtype()); }

Tensor matmul_as(const Tensor& a, const Tensor& b, DType out_dtype) {
    PESO_CHECK(a.defined() && b.defined(), ValueError, "matmul_as: undefined operand");
    PESO_CHECK(out_dtype == a.dtype() || (a.dtype() == DType::bf16 && out_dtype == DType::f32), DTypeError,
               "matmul_as: a {} product cannot write {} (only bfloat16 operands may write float32)", a.dtype(),
               out_dtype);
    return matmul_impl("matmul_as", a, b, out_dtype);
}

Tensor mm(const Tensor& a, const Tensor& b) {
    PESO_CHECK(a.defined() && b.defined(), ValueError, "mm: undefined operand");
    PESO_CHECK(a.dim() == 2 && b.dim() == 2, ShapeError, "mm: expected 2-D operands, got shapes {} and {}",
               a.sizes(), b.sizes());
    return matmul_impl("mm", a, b, a.dtype());
}

Tensor bmm(const Tensor& a, const Tensor& b) {
    PESO_CHECK(a.defined() && b.defined(), ValueError, "bmm: undefined operand");
    PESO_CHECK(a.dim() == 3 && b.dim() == 3, ShapeError, "bmm: expected 3-D operands, got shapes {} and {}",
               a.sizes(), b.sizes());
    PESO_CHECK(a.size(0) == b.size(0), ShapeError, "bmm: batch sizes differ, got shapes {} and {}", a.sizes(),
               b.sizes());
    return matmul_impl("bmm", a, b, a.dtype());
}

}  // namespace peso::native
