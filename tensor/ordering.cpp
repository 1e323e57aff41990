// Ordering and scan front-ends: the op's dim is moved last (row-contiguous
// primitives, see tensor/row_layout.h) and the results moved back.
#include "backends/registry.h"
#include "tensor/native.h"
#include "tensor/row_layout.h"

namespace peso::native {

namespace {

void check_input(const Tensor& x, const char* op) {
    PESO_CHECK(x.defined(), ValueError, "{}: undefined input", op);
}

}  // namespace

std::tuple<Tensor, Tensor> sort(const Tensor& x, std::int64_t dim, bool descending) {
    check_input(x, "sort");
    const int d = wrap_dim(dim, x.dim(), "sort");
    const Tensor rows = rows_last(x, d);
    Tensor values = empty_like(rows);
    Tensor indices = empty(rows.sizes(), TensorOptions(DType::i64).device(x.device()));
    if (rows.numel() > 0)
        backend_for(x.device()).sort(as_rows(values), as_rows(indices), as_rows(rows), descending);
    return {rows_back(values, d), rows_back(indices, d)};
}

Tensor argsort(const Tensor& x, std::int64_t dim, bool descending) { return std::get<1>(sort(x, dim, descending)); }

std::tuple<Tensor, Tensor> topk(const Tensor& x, std::int64_t k, std::int64_t dim, bool largest, bool sorted) {
    check_input(x, "topk");
    const int d = wrap_dim(dim, x.dim(), "topk");
    const std::int64_t n = x.dim() == 0 ? 1 : x.size(d);
    PESO_CHECK(k >= 0 && k <= n, IndexError, "topk: k = {} is out of range for dim {} of size {} (input shape {})", k,
               d, n, x.sizes());
    const Tensor rows = rows_last(x, d);
    Dims shape = rows.sizes();
    if (shape.size() > 0) shape[shape.size() - 1] = k;
    else if (k == 0) shape = Dims{0};  // none of a 0-dim tensor's one element
    Tensor values = empty(shape, x.options());
    Tensor indices = empty(shape, TensorOptions(DType::i64).device(x.device()));
    // The primitive always returns the k in sorted order, which `sorted = false` permits.
    (void)sorted;
    if (values.numel() > 0)
        backend_for(x.device()).topk(as_rows(values), as_rows(indices), as_rows(rows), k, largest);
    return {rows_back(values, d), rows_back(indices, d)};
}

Tensor cumsum(const Tensor& x, std::int64_t dim) {
    check_input(x, "cumsum");
    const int d = wrap_dim(dim, x.dim(), "cumsum");
    const Tensor rows = rows_last(x, d);
    // Integers and bools accumulate in int64, as in PyTorch.
    const DType out_dtype = is_floating(x.dtype()) ? x.dtype() : DType::i64;
    Tensor out = empty(rows.sizes(), TensorOptions(out_dtype).device(x.device()));
    if (out.numel() > 0) backend_for(x.device()).cumsum(as_rows(out), as_rows(rows));
    return rows_back(out, d);
}

}  // namespace peso::native
