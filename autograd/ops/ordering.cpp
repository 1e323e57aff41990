// sort, topk and cumsum, and their derivatives.
#include "autograd/ops/common.h"

namespace peso {

using namespace autograd;

namespace {
// Values picked from x at `indices` along dim: the gradient goes back to them.
std::tuple<Tensor, Tensor> picked(const char* name, const Tensor& x, std::int64_t dim, std::tuple<Tensor, Tensor> res) {
    if (!should_record({&x})) return res;
    const Dims shape = x.sizes();
    record(name, {x}, {std::get<0>(res)}, {save(std::get<1>(res))}, [shape, dim](const Ctx& c, const Grads& g) -> Grads {
        if (shape.empty()) return {g[0]};
        const Tensor z = native::zeros(shape, TensorOptions(g[0].dtype()).device(g[0].device()));
        return {scatter(z, dim, c.saved(0), g[0])};
    });
    return res;
}
}  // namespace

std::tuple<Tensor, Tensor> sort(const Tensor& x, std::int64_t dim, bool descending) {
    return picked("sort", x, dim, native::sort(x, dim, descending));
}

std::tuple<Tensor, Tensor> topk(const Tensor& x, std::int64_t k, std::int64_t dim, bool largest, bool sorted) {
    return picked("topk", x, dim, native::topk(x, k, dim, largest, sorted));
}

Tensor cumsum(const Tensor& x, std::int64_t dim) {
    Tensor out = native::cumsum(x, dim);
    if (!should_record({&x})) return out;
    record("cumsum", {x}, {out}, {}, [dim](const Ctx&, const Grads& g) -> Grads {
        // dx_i = sum_{j >= i} g_j: a reversed cumulative sum, written as
        // total - cumsum + g so that no flip op is needed.
        const Tensor& gg = g[0];
        return {add(sub(sum(gg, {dim}, true), cumsum(gg, dim)), gg)};
    });
    return out;
}

}  // namespace peso
