// Normalization front-ends: softmax over any dim (moved last for the
// row-contiguous primitive), layer_norm over trailing dims and its backward.
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

// The number of x's leading (not normalized) dims; throws unless
// normalized_shape names x's trailing dims.
int leading_dims(const char* op, const Tensor& x, const Dims& normalized_shape) {
    const int nd = normalized_shape.size(), lead = x.dim() - nd;
    PESO_CHECK(nd >= 1, ShapeError, "{}: normalized_shape must name at least one dim (input shape {})", op,
               x.sizes());
    bool matches = lead >= 0;
    for (int i = 0; matches && i < nd; ++i) matches = x.size(lead + i) == normalized_shape[i];
    PESO_CHECK(matches, ShapeError, "{}: normalized_shape {} does not match the trailing dims of input shape {}", op,
               normalized_shape, x.sizes());
    return lead;
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
    const int lead = leading_dims("layer_norm", x, normalized_shape);
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

std::tuple<Tensor, Tensor, Tensor> layer_norm_backward(const Tensor& dy, const Tensor& x, const Dims& normalized_shape,
                                                       const Tensor& mean, const Tensor& rstd, const Tensor& weight,
                                                       LayerNormGradsWanted wanted) {
    PESO_CHECK(dy.defined() && x.defined() && mean.defined() && rstd.defined(), ValueError,
               "layer_norm_backward: undefined dy, x, mean or rstd");
    PESO_CHECK(is_floating(x.dtype()), DTypeError, "layer_norm_backward: expected a floating input, got {}", x.dtype());
    const int lead = leading_dims("layer_norm_backward", x, normalized_shape);
    std::int64_t rows = 1;
    for (int i = 0; i < lead; ++i) rows *= x.size(i);
    const std::int64_t d = normalized_shape.product();
    PESO_CHECK(dy.sizes() == x.sizes() && dy.dtype() == x.dtype(), ShapeError,
               "layer_norm_backward: dy ({} {}) must match the input ({} {})", dy.sizes(), dy.dtype(), x.sizes(),
               x.dtype());
    PESO_CHECK(mean.numel() == rows && rstd.numel() == rows && mean.dtype() == x.dtype() && rstd.dtype() == x.dtype(),
               ShapeError,
               "layer_norm_backward: mean {} {} and rstd {} {} must hold one {} value per row of {} ({} rows)",
               mean.sizes(), mean.dtype(), rstd.sizes(), rstd.dtype(), x.dtype(), x.sizes(), rows);
    check_affine(weight, "weight", x, normalized_shape);
    for (const Tensor* t : {&dy, &mean, &rstd, &weight})
        PESO_CHECK(!t->defined() || t->device() == x.device(), DeviceError,
                   "layer_norm_backward: input is on {} but an argument is on {}", x.device(), t->device());
    Tensor dx = wanted.input ? empty(x.sizes(), x.options()) : Tensor();
    Tensor dw = wanted.weight && weight.defined() ? empty(normalized_shape, x.options()) : Tensor();
    Tensor db = wanted.bias ? empty(normalized_shape, x.options()) : Tensor();
    if (!dx.defined() && !dw.defined() && !db.defined()) return {dx, dw, db};
    if (rows == 0 || d == 0) {
        for (Tensor* t : {&dw, &db}) if (t->defined()) fill_(*t, 0.0);
        return {dx, dw, db};
    }
    const Tensor xc = contiguous(x), dyc = contiguous(dy), mc = contiguous(mean), rc = contiguous(rstd);
    const Tensor w = weight.defined() ? contiguous(weight) : Tensor();
    auto arg_or_none = [&](const Tensor& t, std::int64_t n) { return t.defined() ? flat_arg(t, -1, n) : TensorArg{}; };
    backend_for(x.device()).layer_norm_backward(dx.defined() ? flat_arg(dx, rows, d) : TensorArg{}, arg_or_none(dw, d),
                                                arg_or_none(db, d), flat_arg(dyc, rows, d), flat_arg(xc, rows, d),
                                                flat_arg(mc, -1, rows), flat_arg(rc, -1, rows), arg_or_none(w, d));
    return {dx, dw, db};
}

}  // namespace peso::native
