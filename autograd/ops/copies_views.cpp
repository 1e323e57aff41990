// Copies, conversions, fills and views.
#include "autograd/ops/common.h"

namespace peso {

using namespace autograd;

// ---- copies and conversions ----------------------------------------------------------

Tensor contiguous(const Tensor& t) {
    Tensor out = native::contiguous(t);
    if (out.is_same(t) || !should_record({&t})) return out;
    record("contiguous", {t}, {out}, {}, [](const Ctx&, const Grads& g) -> Grads { return {g[0]}; });
    return out;
}

Tensor clone(const Tensor& t) {
    Tensor out = native::clone(t);
    if (should_record({&t})) record("clone", {t}, {out}, {}, [](const Ctx&, const Grads& g) -> Grads { return {g[0]}; });
    return out;
}

Tensor to_dtype(const Tensor& t, DType dtype) {
    Tensor out = native::to_dtype(t, dtype);
    if (out.is_same(t) || !should_record({&t})) return out;
    const DType from = t.dtype();
    record("to_dtype", {t}, {out}, {}, [from](const Ctx&, const Grads& g) -> Grads { return {to_dtype(g[0], from)}; });
    return out;
}

Tensor to_device(const Tensor& t, Device device) {
    Tensor out = native::to_device(t, device);
    if (out.is_same(t) || !should_record({&t})) return out;
    const Device from = t.device();
    record("to_device", {t}, {out}, {}, [from](const Ctx&, const Grads& g) -> Grads { return {to_device(g[0], from)}; });
    return out;
}

Tensor& copy_(Tensor& self, const Tensor& src) {
    const bool rec = should_record({&self, &src});
    if (rec) check_inplace(self, "copy_");
    native::copy_(self, src);
    if (rec) {
        const Dims shape = src.sizes();
        const DType dtype = src.dtype();
        const Device device = src.device();
        rebase_history(self, "copy_", {src}, {}, [shape, dtype, device](const Ctx& ctx, const Grads& g) -> Grads {
            Tensor gs;
            if (ctx.needs_input_grad(1)) gs = to_device(to_dtype(sum_to(g[0], shape), dtype), device);
            return {Tensor(), gs};
        });
    }
    return self;
}

namespace {

// An in-place op that overwrites self without reading it (fill_, zero_, uniform_, normal_).
template <typename F> Tensor& overwrite(Tensor& self, const char* name, F&& native_op) {
    const bool rec = should_record({&self});
    if (rec) check_inplace(self, name);
    native_op();
    if (rec) rebase_history(self, name, {}, {}, [](const Ctx&, const Grads&) -> Grads { return {Tensor()}; });
    return self;
}

}  // namespace

Tensor& fill_(Tensor& t, Scalar value) { return overwrite(t, "fill_", [&] { native::fill_(t, value); }); }
Tensor& zero_(Tensor& t) { return overwrite(t, "zero_", [&] { native::zero_(t); }); }
Tensor& uniform_(Tensor& t, double lo, double hi, Generator* gen) {
    return overwrite(t, "uniform_", [&] { native::uniform_(t, lo, hi, gen); });
}
Tensor& normal_(Tensor& t, double mean, double std, Generator* gen) {
    return overwrite(t, "normal_", [&] { native::normal_(t, mean, std, gen); });
}

// ---- views ------------------------------------------------------------------------------

namespace {

// Records a view op: out shares t's memory; its gradient is `backward(g)`.
Tensor record_view(const char* name, const Tensor& t, Tensor out, BackwardFn backward) {
    mark_view(out, t);
    if (should_record({&t})) record(name, {t}, {out}, {}, std::move(backward));
    return out;
}

// The gradient of a view that selects part of t: zeros with g in the part.
template <typename Region> Grads scatter_into_zeros(const Dims& shape, const Tensor& g, Region&& region) {
    Tensor z = native::zeros(shape, TensorOptions(g.dtype()).device(g.device()));
    Tensor part = region(z);
    part.copy_(g);
    return {z};
}

}  // namespace

Tensor view(const Tensor& t, const Dims& shape) {
    const Dims in = t.sizes();
    return record_view("view", t, native::view(t, shape),
                       [in](const Ctx&, const Grads& g) -> Grads { return {reshape(g[0], in)}; });
}

Tensor reshape(const Tensor& t, const Dims& shape) {
    Tensor out = native::reshape(t, shape);
    const Dims in = t.sizes();
    BackwardFn back = [in](const Ctx&, const Grads& g) -> Grads { return {reshape(g[0], in)}; };
    if (out.shares_storage(t)) return record_view("reshape", t, out, std::move(back));
    if (should_record({&t})) record("reshape", {t}, {out}, {}, std::move(back));
    return out;
}

Tensor permute(const Tensor& t, const Dims& order) {
    Dims inverse = Dims::filled(order.size(), 0);
    for (int i = 0; i < order.size(); ++i) inverse[wrap_dim(order[i], t.dim(), "permute")] = i;
    return record_view("permute", t, native::permute(t, order),
                       [inverse](const Ctx&, const Grads& g) -> Grads { return {permute(g[0], inverse)}; });
}

Tensor transpose(const Tensor& t, std::int64_t d0, std::int64_t d1) {
    return record_view("transpose", t, native::transpose(t, d0, d1),
                       [d0, d1](const Ctx&, const Grads& g) -> Grads { return {transpose(g[0], d0, d1)}; });
}

Tensor narrow(const Tensor& t, std::int64_t dim, std::int64_t start, std::int64_t length) {
    const Dims in = t.sizes();
    return record_view("narrow", t, native::narrow(t, dim, start, length),
                       [in, dim, start, length](const Ctx&, const Grads& g) -> Grads {
                           return scatter_into_zeros(in, g[0], [&](Tensor& z) { return z.narrow(dim, start, length); });
                       });
}

Tensor slice(const Tensor& t, std::int64_t dim, std::optional<std::int64_t> start, std::optional<std::int64_t> end,
             std::int64_t step) {
    const Dims in = t.sizes();
    return record_view("slice", t, native::slice(t, dim, start, end, step),
                       [in, dim, start, end, step](const Ctx&, const Grads& g) -> Grads {
                           return scatter_into_zeros(in, g[0], [&](Tensor& z) { return z.slice(dim, start, end, step); });
                       });
}

Tensor select(const Tensor& t, std::int64_t dim, std::int64_t index) {
    const Dims in = t.sizes();
    return record_view("select", t, native::select(t, dim, index), [in, dim, index](const Ctx&, const Grads& g) -> Grads {
        return scatter_into_zeros(in, g[0], [&](Tensor& z) { return z.select(dim, index); });
    });
}

Tensor diagonal(const Tensor& t, std::int64_t offset, std::int64_t d0, std::int64_t d1) {
    const Dims in = t.sizes();
    return record_view("diagonal", t, native::diagonal(t, offset, d0, d1),
                       [in, offset, d0, d1](const Ctx&, const Grads& g) -> Grads {
                           return scatter_into_zeros(in, g[0], [&](Tensor& z) { return diagonal(z, offset, d0, d1); });
                       });
}

Tensor as_strided(const Tensor& t, const Dims& sizes, const Dims& strides, std::optional<std::int64_t> offset) {
    Tensor out = native::as_strided(t, sizes, strides, offset);
    const Dims in = t.sizes();
    const bool contiguous = t.is_contiguous();
    const std::int64_t rel = out.storage_offset() - t.storage_offset();
    return record_view("as_strided", t, out, [in, sizes, strides, rel, contiguous](const Ctx&, const Grads& g) -> Grads {
        PESO_CHECK(contiguous, NotImplementedError,
                   "as_strided: gradient for a view of a non-contiguous tensor is not supported");
        return {view_grad_to_base(g[0], in, sizes, strides, rel)};
    });
}

Tensor expand(const Tensor& t, const Dims& shape) {
    const Dims in = t.sizes();
    return record_view("expand", t, native::expand(t, shape),
                       [in](const Ctx&, const Grads& g) -> Grads { return {sum_to(g[0], in)}; });
}

namespace {
Tensor reshape_view(const char* name, const Tensor& t, Tensor out) {
    const Dims in = t.sizes();
    return record_view(name, t, std::move(out), [in](const Ctx&, const Grads& g) -> Grads { return {reshape(g[0], in)}; });
}
}  // namespace

Tensor squeeze(const Tensor& t) { return reshape_view("squeeze", t, native::squeeze(t)); }
Tensor squeeze(const Tensor& t, std::int64_t dim) { return reshape_view("squeeze", t, native::squeeze(t, dim)); }
Tensor unsqueeze(const Tensor& t, std::int64_t dim) { return reshape_view("unsqueeze", t, native::unsqueeze(t, dim)); }
Tensor unflatten(const Tensor& t, std::int64_t dim, const Dims& sizes) {
    return reshape_view("unflatten", t, native::unflatten(t, dim, sizes));
}
Tensor flatten(const Tensor& t, std::int64_t start_dim, std::int64_t end_dim) {
    Tensor out = native::flatten(t, start_dim, end_dim);
    if (out.shares_storage(t)) return reshape_view("flatten", t, out);
    const Dims in = t.sizes();
    if (should_record({&t}))
        record("flatten", {t}, {out}, {}, [in](const Ctx&, const Grads& g) -> Grads { return {reshape(g[0], in)}; });
    return out;
}

}  // namespace peso
