// Reductions and their derivatives.
#include "autograd/ops/common.h"

namespace peso {

using namespace autograd;

namespace {

// The reduced dims of an input of `ndim` dims (empty = all), wrapped. A 0-d
// input accepts dim 0 or -1, which name the tensor itself: nothing to reduce.
Dims reduced_dims(const Dims& dims, int ndim) {
    Dims out;
    if (ndim == 0) return out;
    if (dims.empty()) {
        for (int i = 0; i < ndim; ++i) out.push_back(i);
        return out;
    }
    for (std::int64_t d : dims) out.push_back(wrap_dim(d, ndim, "reduction"));
    return out;
}

// A reduced gradient (or result) brought back to the input's rank with
// size-1 dims where the reduction removed them, ready to broadcast.
Tensor unreduce(const Tensor& g, const Dims& dims, int ndim, bool keepdim) {
    if (keepdim || ndim == 0) return g;
    Dims red = reduced_dims(dims, ndim);
    std::sort(red.begin(), red.end());
    Tensor r = g;
    for (std::int64_t d : red) r = unsqueeze(r, d);
    return r;
}

std::int64_t count(const Dims& shape, const Dims& dims) {
    std::int64_t n = 1;
    for (std::int64_t d : reduced_dims(dims, shape.size())) n *= shape[static_cast<int>(d)];
    return n;
}

}  // namespace

Tensor sum(const Tensor& x, const Dims& dims, bool keepdim) {
    Tensor out = native::sum(x, dims, keepdim);
    if (!should_record({&x})) return out;
    const Dims shape = x.sizes();
    record("sum", {x}, {out}, {}, [=](const Ctx&, const Grads& g) -> Grads {
        return {expand(unreduce(g[0], dims, shape.size(), keepdim), shape)};
    });
    return out;
}

Tensor mean(const Tensor& x, const Dims& dims, bool keepdim) {
    Tensor out = native::mean(x, dims, keepdim);
    if (!should_record({&x})) return out;
    const Dims shape = x.sizes();
    const double n = static_cast<double>(count(shape, dims));
    record("mean", {x}, {out}, {}, [=](const Ctx&, const Grads& g) -> Grads {
        return {expand(div(unreduce(g[0], dims, shape.size(), keepdim), n), shape)};
    });
    return out;
}

namespace {

// For each element of the last dim, the product of the others in its row:
// exclusive prefix and suffix products, each a log-step scan of products of
// shifted slices. No division, so zeros need no special case and every order
// of derivative follows from mul, narrow and cat.
Tensor product_of_others(const Tensor& rows) {
    const std::int64_t n = rows.size(-1);
    if (n == 0) return rows;
    const Tensor one = native::ones_like(native::narrow(rows, -1, 0, 1));
    Tensor prefix = cat({one, narrow(rows, -1, 0, n - 1)}, -1);  // x_0 ... x_{i-1}
    Tensor suffix = cat({narrow(rows, -1, 1, n - 1), one}, -1);  // x_{i+1} ... x_{n-1}
    for (std::int64_t shift = 1; shift < n; shift *= 2) {
        prefix = cat({narrow(prefix, -1, 0, shift),
                      mul(narrow(prefix, -1, shift, n - shift), narrow(prefix, -1, 0, n - shift))},
                     -1);
        suffix = cat({mul(narrow(suffix, -1, 0, n - shift), narrow(suffix, -1, shift, n - shift)),
                      narrow(suffix, -1, n - shift, shift)},
                     -1);
    }
    return mul(prefix, suffix);
}

// d prod / d x_i = the product of the other elements of x_i's group: the
// reduced dims are moved last and flattened into one row per group.
Tensor prod_input_grad(const Tensor& x, const Dims& dims) {
    const int nd = x.dim();
    if (nd == 0) return native::ones_like(x);
    Dims reduced = reduced_dims(dims, nd);
    std::sort(reduced.begin(), reduced.end());
    Dims order, grouped;
    for (int d = 0; d < nd; ++d)
        if (std::find(reduced.begin(), reduced.end(), d) == reduced.end()) {
            order.push_back(d);
            grouped.push_back(x.size(d));
        }
    std::int64_t n = 1;
    for (const std::int64_t d : reduced) {
        order.push_back(d);
        n *= x.size(d);
    }
    grouped.push_back(n);
    const Tensor moved = permute(x, order);
    const Tensor others = reshape(product_of_others(reshape(moved, grouped)), moved.sizes());
    Dims inverse = Dims::filled(nd, 0);
    for (int i = 0; i < nd; ++i) inverse[static_cast<int>(order[i])] = i;
    return permute(others, inverse);
}

}  // namespace

Tensor prod(const Tensor& x, const Dims& dims, bool keepdim) {
    Tensor out = native::prod(x, dims, keepdim);
    if (!should_record({&x})) return out;
    const int nd = x.dim();
    record("prod", {x}, {out}, {save(x)}, [=](const Ctx& c, const Grads& g) -> Grads {
        return {mul(unreduce(g[0], dims, nd, keepdim), prod_input_grad(c.saved(0), dims))};
    });
    return out;
}

Tensor var(const Tensor& x, const Dims& dims, double correction, bool keepdim) {
    Tensor out = native::var(x, dims, correction, keepdim);
    if (!should_record({&x})) return out;
    const int nd = x.dim();
    const double n = static_cast<double>(count(x.sizes(), dims));
    record("var", {x}, {out}, {save(x)}, [=](const Ctx& c, const Grads& g) -> Grads {
        const Tensor xs = c.saved(0);
        const Tensor centered = sub(xs, mean(xs, dims, true));
        return {mul(unreduce(g[0], dims, nd, keepdim), mul(centered, 2.0 / (n - correction)))};
    });
    return out;
}

Tensor std(const Tensor& x, const Dims& dims, double correction, bool keepdim) {
    Tensor out = native::std(x, dims, correction, keepdim);
    if (!should_record({&x})) return out;
    const int nd = x.dim();
    const double n = static_cast<double>(count(x.sizes(), dims));
    record("std", {x}, {out}, {save(x), save_output(out)}, [=](const Ctx& c, const Grads& g) -> Grads {
        const Tensor xs = c.saved(0);
        const Tensor centered = sub(xs, mean(xs, dims, true));
        const Tensor s = unreduce(c.saved(1), dims, nd, keepdim);
        // Where the std is 0 (a constant group, or one element without
        // correction) the gradient is 0 rather than 0/0, as in PyTorch. The
        // division is by 1 there: a 0/0 masked afterwards would still give
        // NaN second derivatives through div's backward.
        const Tensor zero = native::eq(s, 0.0);
        const Tensor grad = div(mul(unreduce(g[0], dims, nd, keepdim), centered),
                                mul(masked_fill(s, zero, 1.0), n - correction));
        return {masked_fill(grad, zero, 0.0)};
    });
    return out;
}

namespace {

// amax/amin: the gradient is shared evenly among the elements equal to the extreme.
Tensor extreme(const char* name, const Tensor& x, const Dims& dims, bool keepdim, Tensor out) {
    if (!should_record({&x})) return out;
    const int nd = x.dim();
    record(name, {x}, {out}, {save(x), save_output(out)}, [=](const Ctx& c, const Grads& g) -> Grads {
        const Tensor hit = native::eq(c.saved(0), unreduce(c.saved(1), dims, nd, keepdim)).to(g[0].dtype());
        const Tensor share = div(hit, native::sum(hit, dims, true));
        return {mul(unreduce(g[0], dims, nd, keepdim), share)};
    });
    return out;
}

// max/min along a dim: the gradient goes to the element the index points at.
std::tuple<Tensor, Tensor> extreme_dim(const char* name, const Tensor& x, std::int64_t dim, bool keepdim,
                                       std::tuple<Tensor, Tensor> res) {
    auto& [values, indices] = res;
    if (!should_record({&x})) return res;
    const Dims shape = x.sizes();
    const int d = wrap_dim(dim, x.dim(), name);
    record(name, {x}, {values}, {save(indices)}, [=](const Ctx& c, const Grads& g) -> Grads {
        Tensor idx = c.saved(0), gv = g[0];
        if (!keepdim && !shape.empty()) {
            idx = native::unsqueeze(idx, d);
            gv = unsqueeze(gv, d);
        }
        if (shape.empty()) return {gv};
        const Tensor z = native::zeros(shape, TensorOptions(gv.dtype()).device(gv.device()));
        return {scatter(z, d, idx, gv)};
    });
    return res;
}

}  // namespace

Tensor amax(const Tensor& x, const Dims& dims, bool keepdim) { return extreme("amax", x, dims, keepdim, native::amax(x, dims, keepdim)); }
Tensor amin(const Tensor& x, const Dims& dims, bool keepdim) { return extreme("amin", x, dims, keepdim, native::amin(x, dims, keepdim)); }
std::tuple<Tensor, Tensor> max(const Tensor& x, std::int64_t dim, bool keepdim) {
    return extreme_dim("max", x, dim, keepdim, native::max(x, dim, keepdim));
}
std::tuple<Tensor, Tensor> min(const Tensor& x, std::int64_t dim, bool keepdim) {
    return extreme_dim("min", x, dim, keepdim, native::min(x, dim, keepdim));
}

Tensor logsumexp(const Tensor& x, const Dims& dims, bool keepdim) {
    Tensor out = native::logsumexp(x, dims, keepdim);
    if (!should_record({&x})) return out;
    const int nd = x.dim();
    record("logsumexp", {x}, {out}, {save(x), save_output(out)}, [=](const Ctx& c, const Grads& g) -> Grads {
        const Tensor p = exp(sub(c.saved(0), unreduce(c.saved(1), dims, nd, keepdim)));
        return {mul(unreduce(g[0], dims, nd, keepdim), p)};
    });
    return out;
}

}  // namespace peso
