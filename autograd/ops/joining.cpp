// Joining, splitting and triangular masks, and their derivatives.
#include "autograd/ops/common.h"

namespace peso {

using namespace autograd;

Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim) {
    Tensor out = native::cat(tensors, dim);
    if (!should_record(tensors)) return out;
    // Each input's gradient is its slice of g; inputs cat skips (legacy empty
    // 1-D tensors) get none.
    const int d = wrap_dim(dim, out.dim(), "cat");
    std::vector<std::int64_t> starts, lengths;
    std::int64_t at = 0;
    for (const Tensor& t : tensors) {
        const bool skipped = t.dim() == 1 && t.numel() == 0 && out.dim() != 1;
        starts.push_back(skipped ? -1 : at);
        lengths.push_back(skipped ? 0 : t.size(d));
        if (!skipped) at += t.size(d);
    }
    std::vector<DType> dtypes;
    for (const Tensor& t : tensors) dtypes.push_back(t.dtype());
    record("cat", tensors, {out}, {}, [d, starts, lengths, dtypes](const Ctx& c, const Grads& g) -> Grads {
        Grads r(starts.size());
        for (std::size_t i = 0; i < starts.size(); ++i)
            if (c.needs_input_grad(i) && starts[i] >= 0) r[i] = to_dtype(narrow(g[0], d, starts[i], lengths[i]), dtypes[i]);
        return r;
    });
    return out;
}

Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim) {
    if (!should_record(tensors)) return native::stack(tensors, dim);
    PESO_CHECK(!tensors.empty(), ValueError, "stack: expects a non-empty list of tensors");
    const int d = wrap_dim(dim, tensors[0].dim() + 1, "stack");
    for (const Tensor& t : tensors)
        PESO_CHECK(t.sizes() == tensors[0].sizes(), ShapeError, "stack: all tensors must have the same shape, got {} and {}",
                   tensors[0].sizes(), t.sizes());
    std::vector<Tensor> parts;
    for (const Tensor& t : tensors) parts.push_back(unsqueeze(t, d));
    return cat(parts, d);
}

namespace {
// The pieces of x that native::split/chunk would return, as differentiable narrows.
std::vector<Tensor> as_narrows(const Tensor& x, std::int64_t dim, const std::vector<Tensor>& pieces) {
    if (!grad_enabled()) return pieces;
    const int d = wrap_dim(dim, x.dim(), "split");
    std::vector<Tensor> out;
    std::int64_t at = 0;
    for (const Tensor& p : pieces) {
        out.push_back(narrow(x, d, at, p.size(d)));
        at += p.size(d);
    }
    return out;
}
}  // namespace

std::vector<Tensor> split(const Tensor& x, std::int64_t split_size, std::int64_t dim) {
    return as_narrows(x, dim, native::split(x, split_size, dim));
}
std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& sizes, std::int64_t dim) {
    return as_narrows(x, dim, native::split(x, sizes, dim));
}
std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, std::int64_t dim) {
    return as_narrows(x, dim, native::chunk(x, chunks, dim));
}

Tensor tril(const Tensor& x, std::int64_t diagonal) {
    Tensor out = native::tril(x, diagonal);
    if (should_record({&x}))
        record("tril", {x}, {out}, {}, [diagonal](const Ctx&, const Grads& g) -> Grads { return {tril(g[0], diagonal)}; });
    return out;
}

Tensor triu(const Tensor& x, std::int64_t diagonal) {
    Tensor out = native::triu(x, diagonal);
    if (should_record({&x}))
        record("triu", {x}, {out}, {}, [diagonal](const Ctx&, const Grads& g) -> Grads { return {triu(g[0], diagonal)}; });
    return out;
}

}  // namespace peso
