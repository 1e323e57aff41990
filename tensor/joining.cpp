// Joining and splitting: cat and stack copy each input into a narrowed view
// of the output; split and chunk return views (no copy); tril/triu mask the
// last two dims.
#include <algorithm>
#include <string>

#include "tensor/native.h"

namespace peso::native {

namespace {

// PyTorch keeps accepting the 1-D empty tensor (shape (0,)) in cat whatever
// the other shapes are: it is skipped when shapes are compared.
bool is_legacy_empty(const Tensor& t) { return t.dim() == 1 && t.size(0) == 0; }

std::string shapes_of(const std::vector<Tensor>& tensors) {
    std::string s;
    for (std::size_t i = 0; i < tensors.size(); ++i) s += (i ? ", " : "") + tensors[i].sizes().str();
    return s;
}

// Checks that every non-skipped input matches `ref` except in `dim`.
void check_cat_shapes(const std::vector<Tensor>& tensors, const Tensor& ref, int dim) {
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const Tensor& t = tensors[i];
        if (is_legacy_empty(t)) continue;
        bool ok = t.dim() == ref.dim();
        for (int d = 0; ok && d < ref.dim(); ++d) ok = d == dim || t.size(d) == ref.size(d);
        PESO_CHECK(ok, ShapeError,
                   "cat: tensors must have the same shape except in dim {}, but tensor {} has shape {} and another "
                   "has shape {} (shapes: {})",
                   dim, i, t.sizes(), ref.sizes(), shapes_of(tensors));
    }
}

// Splits dim `dim` of x into consecutive views of the given sizes.
std::vector<Tensor> split_views(const Tensor& x, int dim, const std::vector<std::int64_t>& sizes) {
    std::vector<Tensor> out;
    out.reserve(sizes.size());
    std::int64_t start = 0;
    for (const std::int64_t s : sizes) {
        out.push_back(narrow(x, dim, start, s));
        start += s;
    }
    return out;
}

int split_dim(const Tensor& x, std::int64_t dim, const char* op) {
    PESO_CHECK(x.defined(), ValueError, "{}: undefined tensor", op);
    PESO_CHECK(x.dim() > 0, ShapeError, "{}: expects a tensor of at least 1 dim, got a 0-dim tensor", op);
    return wrap_dim(dim, x.dim(), op);
}

// The mask of the elements tril (lower) or triu keeps, shaped (rows, cols).
Tensor triangle_mask(std::int64_t rows, std::int64_t cols, std::int64_t diagonal, bool lower, Device device) {
    const TensorOptions opts = TensorOptions(DType::i64).device(device);
    const Tensor col_minus_row = sub(view(arange(cols, opts), {1, cols}), view(arange(rows, opts), {rows, 1}));
    return lower ? le(col_minus_row, diagonal) : ge(col_minus_row, diagonal);
}

Tensor triangle(const Tensor& x, std::int64_t diagonal, bool lower) {
    const char* op = lower ? "tril" : "triu";
    PESO_CHECK(x.defined(), ValueError, "{}: undefined tensor", op);
    PESO_CHECK(x.dim() >= 2, ShapeError, "{}: expects a tensor of at least 2 dims, got shape {}", op, x.sizes());
    const Tensor mask = triangle_mask(x.size(-2), x.size(-1), diagonal, lower, x.device());
    return where(mask, x, zeros({}, x.options()));
}

}  // namespace

Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim) {
    PESO_CHECK(!tensors.empty(), ValueError, "cat: expects a non-empty list of tensors");
    DType dtype = tensors[0].dtype();
    const Tensor* ref = nullptr;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const Tensor& t = tensors[i];
        PESO_CHECK(t.defined(), ValueError, "cat: tensor {} is undefined", i);
        PESO_CHECK(t.dim() > 0, ShapeError, "cat: tensor {} is 0-dim and cannot be concatenated", i);
        PESO_CHECK(t.device() == tensors[0].device(), DeviceError,
                   "cat: expected all tensors on the same device, got {} (tensor 0) and {} (tensor {})",
                   tensors[0].device(), t.device(), i);
        dtype = promote_types(dtype, t.dtype());
        if (!ref && !is_legacy_empty(t)) ref = &t;
    }
    const TensorOptions opts = TensorOptions(dtype).device(tensors[0].device());
    if (!ref) return empty({0}, opts);  // only (0,) tensors
    const int d = wrap_dim(dim, ref->dim(), "cat");
    check_cat_shapes(tensors, *ref, d);
    Dims shape = ref->sizes();
    shape[d] = 0;
    for (const Tensor& t : tensors)
        if (!is_legacy_empty(t)) shape[d] += t.size(d);
    Tensor out = empty(shape, opts);
    std::int64_t offset = 0;
    for (const Tensor& t : tensors) {
        if (is_legacy_empty(t) || t.size(d) == 0) continue;
        Tensor part = narrow(out, d, offset, t.size(d));
        copy_(part, t);
        offset += t.size(d);
    }
    return out;
}

Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim) {
    PESO_CHECK(!tensors.empty(), ValueError, "stack: expects a non-empty list of tensors");
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        PESO_CHECK(tensors[i].defined(), ValueError, "stack: tensor {} is undefined", i);
        PESO_CHECK(tensors[i].sizes() == tensors[0].sizes(), ShapeError,
                   "stack: expects tensors of equal shape, got {} (tensor 0) and {} (tensor {})", tensors[0].sizes(),
                   tensors[i].sizes(), i);
    }
    const int d = wrap_dim(dim, tensors[0].dim() + 1, "stack");
    std::vector<Tensor> expanded;
    expanded.reserve(tensors.size());
    for (const Tensor& t : tensors) expanded.push_back(unsqueeze(t, d));
    return cat(expanded, d);
}

std::vector<Tensor> split(const Tensor& x, std::int64_t split_size, std::int64_t dim) {
    const int d = split_dim(x, dim, "split");
    const std::int64_t n = x.size(d);
    PESO_CHECK(split_size > 0 || (split_size == 0 && n == 0), ValueError,
               "split: split_size must be positive (or 0 for an empty dim), got {} for dim {} of size {}",
               split_size, d, n);
    if (n == 0) return {x};
    std::vector<std::int64_t> sizes;
    for (std::int64_t start = 0; start < n; start += split_size) sizes.push_back(std::min(split_size, n - start));
    return split_views(x, d, sizes);
}

std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& sizes, std::int64_t dim) {
    const int d = split_dim(x, dim, "split");
    std::int64_t total = 0;
    for (const std::int64_t s : sizes) {
        PESO_CHECK(s >= 0, ValueError, "split: split sizes must be non-negative, got {}", fmt::join(sizes, ", "));
        total += s;
    }
    PESO_CHECK(total == x.size(d), ShapeError,
               "split: split sizes [{}] sum to {} but dim {} of the tensor of shape {} has size {}",
               fmt::join(sizes, ", "), total, d, x.sizes(), x.size(d));
    return split_views(x, d, sizes);
}

std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, std::int64_t dim) {
    const int d = split_dim(x, dim, "chunk");
    PESO_CHECK(chunks > 0, ValueError, "chunk: number of chunks must be positive, got {}", chunks);
    const std::int64_t n = x.size(d);
    // PyTorch's sizing: chunks of ceil(n / chunks), so there may be fewer chunks
    // than asked for; an empty dim still gives `chunks` empty pieces.
    if (n == 0) return split_views(x, d, std::vector<std::int64_t>(static_cast<std::size_t>(chunks), 0));
    return split(x, (n + chunks - 1) / chunks, d);
}

Tensor tril(const Tensor& x, std::int64_t diagonal) { return triangle(x, diagonal, true); }
Tensor triu(const Tensor& x, std::int64_t diagonal) { return triangle(x, diagonal, false); }

}  // namespace peso::native
