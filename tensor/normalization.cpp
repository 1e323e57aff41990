// Normalization front-ends: softmax over any dim (moved last for the
// row-contiguous primitive) and layer_norm over trailing dims.
#include "backends/registry.h"
#include "tensor/native.h"
#include "tensor/row_layout.h"

namespace peso::native {

namespace {

Tensor softmax_impl(const Tensor& x, std::int64_t dim, bool log, const char* name) {
    PESO_CHECK(x.defined(), ValueError, "{}: undefined input", name);
    PESO_CHECK(is_floating(x.dtype()), DTypeError,
               "{}: expected a floating input (float32 or float64), got {}; convert it with to(DType::f32)", name,
               x.dtype());
    const int d = wrap_dim(dim, x.dim(), name);
    const Tensor rows = rows_last(x, d);
    Tensor out = empty_like(rows);
    if (out.numel() > 0) backend_for(x.device()).softmax(as_rows(out), as_rows(rows), log);
    return rows_back(out, d);
}

void check_affine(const Tensor& p, const char* what, const Tensor& x, const Dims& normalized_shape) {
    if (!p.defined()) return;
    PESO_CHECK(p.sizes() == normalized_shape, ShapeError,
               "layer_norm: {} of shape {} does not match normalized_shape {}", what, p.sizes(), normalized_shape);
    PESO_CHECK(p.dtype() == x.dtype(), DTypeError, "layer_norm: {} has dtype {} but the input has dtype {}", what,
               p.dtype(), x.dtype());
}

// A contiguous tensor as a 2-D (rows, d) or 1-D (d) argument.
TensorArg flat_arg(const Tensor& t, std::int64_t rows, std::int64_t d) {
    TensorArg a = t.arg();
    a.sizes = rows < 0 ? Dims{d} : Dims{rows, d};
    a.strides = rows < 0 ? Dims{1} : Dims{d, 1};
    return a;
}

}  // namespace

Tensor softmax(const Tensor& x, std::int64_t dim) { return softmax_impl(x, dim, false, "softmax"); }

Tensor log_softmax(const Tensor& x, std::int64_t dim) { return softmax_impl(x, dim, true, "log_softmax"); }

std::tuple<Tensor, Tensor, Tensor> layer_norm(const Tensor& x, const Dims& normalized_shape, const Tensor& weight,
                                              const Tensor& bias, double eps) {
    PESO_CHECK(x.defined(), ValueError, "layer_norm: undefined input");
    PESO_CHECK(is_floating(x.dtype()), DTypeError, "layer_norm: expected a floating input, got {}", x.dtype());
    const int nd = normalized_shape.size(), lead = x.dim() - nd;
    PESO_CHECK(nd >= 1, ShapeError, "layer_norm: normalized_shape must name at least one dim (input shape {})",
               x.sizes());
    bool matches = lead >= 0;
    for (int i = 0; matches && i < nd; ++i) matches = x.size(lead + i) == normalized_shape[i];
    PESO_CHECK(matches, ShapeError,
               "layer_norm: normalized_shape {} does not match the trailing dims of input shape {}", normalized_shape,
               x.sizes());
    check_affine(weight, "weight", x, normalized_shape);
    check_affine(bias, "bias", x, normalized_shape);
    for (const Tensor* p : {&weight, &bias})
        PESO_CHECK(!p->defined() || p->device() == x.device(), DeviceError,
                   "layer_norm: input is on {} but a parameter is on {}", x.device(), p->device());

    Dims stat_shape;
    for (int i = 0; i < lead; ++i) stat_shape.push_back(x.size(i));
    const Tensor xc = contiguous(x);
    Tensor out = empty_like(xc);
    Tensor mean = empty(stat_shape, x.options());
    Tensor rstd = empty(stat_shape, x.options());
    const std::int64_t rows = stat_shape.product(), d = normalized_shape.product();
    if (rows > 0) {
        const Tensor w = weight.defined() ? contiguous(weight) : Tensor();
        const Tensor b = bias.defined() ? contiguous(bias) : Tensor();
        backend_for(x.device()).layer_norm(flat_arg(out, rows, d), flat_arg(mean, -1, rows), flat_arg(rstd, -1, rows),
                                           flat_arg(xc, rows, d), w.defined() ? flat_arg(w, -1, d) : TensorArg{},
                                           b.defined() ? flat_arg(b, -1, d) : TensorArg{}, eps);
    }
    return {out, mean, rstd};
}

}  // namespace peso::native
