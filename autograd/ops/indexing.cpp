// Indexing ops and their derivatives: each gathers in one direction and
// scatters (adds) in the other.
#include "autograd/ops/common.h"

namespace peso {

using namespace autograd;

namespace {
Tensor zeros_of(const Dims& shape, const Tensor& like) {
    return native::zeros(shape, TensorOptions(like.dtype()).device(like.device()));
}
}  // namespace

Tensor embedding(const Tensor& weight, const Tensor& indices) {
    Tensor out = native::embedding(weight, indices);
    if (!should_record({&weight})) return out;
    const Dims shape = weight.sizes();
    auto node = record("embedding", {weight}, {out}, {save(indices)}, [shape](const Ctx& c, const Grads& g) -> Grads {
        const Tensor idx = c.saved(0).reshape({-1});
        const Tensor rows = g[0].reshape({idx.numel(), shape[1]});
        if (c.create_graph()) return {index_add(zeros_of(shape, g[0]), 0, idx, rows)};  // double backward
        // The rows go straight into the weight's gradient so far (a tied
        // output head's) when the engine lends it: no (vocab, C) buffer.
        Tensor acc = c.partial_grad(0);
        if (!acc.defined() || acc.dtype() != rows.dtype()) acc = zeros_of(shape, g[0]);
        native::index_add_(acc, 0, idx, rows);
        return {acc};
    });
    node->set_accepts_partial_grads(true);
    return out;
}

Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index) {
    Tensor out = native::index_select(x, dim, index);
    if (!should_record({&x})) return out;
    const Dims shape = x.sizes();
    record("index_select", {x}, {out}, {save(index)}, [shape, dim](const Ctx& c, const Grads& g) -> Grads {
        return {index_add(zeros_of(shape, g[0]), dim, c.saved(0), g[0])};
    });
    return out;
}

Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index) {
    Tensor out = native::gather(x, dim, index);
    if (!should_record({&x})) return out;
    const Dims shape = x.sizes();
    record("gather", {x}, {out}, {save(index)}, [shape, dim](const Ctx& c, const Grads& g) -> Grads {
        return {scatter_add(zeros_of(shape, g[0]), dim, c.saved(0), g[0])};
    });
    return out;
}

Tensor scatter(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src) {
    Tensor out = native::scatter(x, dim, index, src);
    if (!should_record({&x, &src})) return out;
    record("scatter", {x, src}, {out}, {save(index)}, [dim](const Ctx& c, const Grads& g) -> Grads {
        // Overwritten elements of x get no gradient; src gets what its targets received.
        const Tensor idx = c.saved(0);
        Grads r(2);
        if (c.needs_input_grad(0)) r[0] = scatter(g[0], dim, idx, 0.0);
        if (c.needs_input_grad(1)) r[1] = gather(g[0], dim, idx);
        return r;
    });
    return out;
}

Tensor scatter(const Tensor& x, std::int64_t dim, const Tensor& index, Scalar value) {
    Tensor out = native::scatter(x, dim, index, value);
    if (!should_record({&x})) return out;
    record("scatter", {x}, {out}, {save(index)}, [dim](const Ctx& c, const Grads& g) -> Grads {
        return {scatter(g[0], dim, c.saved(0), 0.0)};
    });
    return out;
}

Tensor scatter_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src) {
    Tensor out = native::scatter_add(x, dim, index, src);
    if (!should_record({&x, &src})) return out;
    record("scatter_add", {x, src}, {out}, {save(index)}, [dim](const Ctx& c, const Grads& g) -> Grads {
        Grads r(2);
        if (c.needs_input_grad(0)) r[0] = g[0];
        if (c.needs_input_grad(1)) r[1] = gather(g[0], dim, c.saved(0));
        return r;
    });
    return out;
}

Tensor index_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src, Scalar alpha) {
    Tensor out = native::index_add(x, dim, index, src, alpha);
    if (!should_record({&x, &src})) return out;
    const double a = alpha.to_double();
    record("index_add", {x, src}, {out}, {save(index)}, [dim, a](const Ctx& c, const Grads& g) -> Grads {
        Grads r(2);
        if (c.needs_input_grad(0)) r[0] = g[0];
        if (c.needs_input_grad(1)) {
            const Tensor picked = index_select(g[0], dim, c.saved(0));
            r[1] = a == 1.0 ? picked : mul(picked, a);
        }
        return r;
    });
    return out;
}

// In place: while recording, the out-of-place op followed by copy_ (see elementwise.cpp).
namespace {
template <typename OutOfPlace, typename InPlace>
Tensor& indexed_inplace(Tensor& self, const char* name, const Tensor* src, OutOfPlace&& oop, InPlace&& ip) {
    const bool rec = src ? should_record({&self, src}) : should_record({&self});
    if (!rec) return ip();
    check_inplace(self, name);
    const Tensor old = clone(self);  // the op's backward may need self's old values
    const Tensor result = oop(old);
    return copy_(self, result);
}
}  // namespace

Tensor& scatter_(Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src) {
    return indexed_inplace(self, "scatter_", &src, [&](const Tensor& old) { return scatter(old, dim, index, src); },
                           [&]() -> Tensor& { return native::scatter_(self, dim, index, src); });
}
Tensor& scatter_(Tensor& self, std::int64_t dim, const Tensor& index, Scalar value) {
    return indexed_inplace(self, "scatter_", nullptr, [&](const Tensor& old) { return scatter(old, dim, index, value); },
                           [&]() -> Tensor& { return native::scatter_(self, dim, index, value); });
}
Tensor& scatter_add_(Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src) {
    return indexed_inplace(self, "scatter_add_", &src, [&](const Tensor& old) { return scatter_add(old, dim, index, src); },
                           [&]() -> Tensor& { return native::scatter_add_(self, dim, index, src); });
}
Tensor& index_add_(Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src, Scalar alpha) {
    return indexed_inplace(self, "index_add_", &src, [&](const Tensor& old) { return index_add(old, dim, index, src, alpha); },
                           [&]() -> Tensor& { return native::index_add_(self, dim, index, src, alpha); });
}

}  // namespace peso
