// Reference indexing primitives: one element at a time, addressed through the
// strides of every argument, arithmetic in double. Indices were validated by
// the tensor layer, so every index read here is in range.
#include "core/bfloat16.h"
#include "backends/reference/reference_backend.h"

namespace peso {

namespace {

template <typename T>
using Wide = std::conditional_t<std::is_floating_point_v<T> || std::is_same_v<T, bfloat16>, double, T>;

// Element (o, j, i) of a 3-D argument.
template <typename T> T& at3(const TensorArg& a, std::int64_t o, std::int64_t j, std::int64_t i) {
    return a.ptr<T>()[o * a.strides[0] + j * a.strides[1] + i * a.strides[2]];
}

// The row-major coordinates of the `linear`-th element of a shape.
Dims coords_of(const Dims& sizes, std::int64_t linear) {
    Dims c = Dims::filled(sizes.size(), 0);
    for (int d = sizes.size() - 1; d >= 0; --d) {
        c[d] = linear % sizes[d];
        linear /= sizes[d];
    }
    return c;
}

std::int64_t offset_at(const TensorArg& a, const Dims& coords) {
    std::int64_t off = 0;
    for (int d = 0; d < coords.size(); ++d) off += coords[d] * a.strides[d];
    return off;
}

// Offset in `a` of `coords` with coordinate `dim` replaced by `index`.
std::int64_t offset_replacing(const TensorArg& a, const Dims& coords, int dim, std::int64_t index) {
    return offset_at(a, coords) + (index - coords[dim]) * a.strides[dim];
}

}  // namespace

void ReferenceBackend::index_select(const TensorArg& out, const TensorArg& in, const TensorArg& index) {
    const std::int64_t outer = in.sizes[0], inner = in.sizes[2], k = index.sizes[0];
    const std::int64_t* idx = index.ptr<std::int64_t>();
    visit_dtype_with_bf16(in.dtype, "index_select", [&](auto tag) {
        using T = typename decltype(tag)::type;
        for (std::int64_t o = 0; o < outer; ++o)
            for (std::int64_t j = 0; j < k; ++j)
                for (std::int64_t i = 0; i < inner; ++i)
                    at3<T>(out, o, j, i) = at3<T>(in, o, idx[j * index.strides[0]], i);
    });
}

void ReferenceBackend::index_add(const TensorArg& self, const TensorArg& index, const TensorArg& src, Scalar alpha) {
    const std::int64_t outer = src.sizes[0], inner = src.sizes[2], k = index.sizes[0];
    const std::int64_t* idx = index.ptr<std::int64_t>();
    visit_dtype_with_bf16(self.dtype, "index_add", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const Wide<T> a = alpha.to<Wide<T>>();
        for (std::int64_t o = 0; o < outer; ++o)
            for (std::int64_t j = 0; j < k; ++j)
                for (std::int64_t i = 0; i < inner; ++i) {
                    T& dst = at3<T>(self, o, idx[j * index.strides[0]], i);
                    dst = static_cast<T>(static_cast<Wide<T>>(dst) + a * static_cast<Wide<T>>(at3<T>(src, o, j, i)));
                }
    });
}

void ReferenceBackend::gather(const TensorArg& out, const TensorArg& in, const TensorArg& index, int dim) {
    const std::int64_t* idx = index.ptr<std::int64_t>();
    visit_dtype_with_bf16(in.dtype, "gather", [&](auto tag) {
        using T = typename decltype(tag)::type;
        for (std::int64_t n = 0; n < index.numel(); ++n) {
            const Dims c = coords_of(index.sizes, n);
            const std::int64_t target = idx[offset_at(index, c)];
            out.ptr<T>()[offset_at(out, c)] = in.ptr<T>()[offset_replacing(in, c, dim, target)];
        }
    });
}

void ReferenceBackend::scatter(const TensorArg& self, const TensorArg& index, const TensorArg& src, int dim,
                               bool accumulate) {
    const std::int64_t* idx = index.ptr<std::int64_t>();
    visit_dtype_with_bf16(self.dtype, "scatter", [&](auto tag) {
        using T = typename decltype(tag)::type;
        // Row-major order over index: where indices repeat, the last write wins.
        for (std::int64_t n = 0; n < index.numel(); ++n) {
            const Dims c = coords_of(index.sizes, n);
            const std::int64_t target = idx[offset_at(index, c)];
            T& dst = self.ptr<T>()[offset_replacing(self, c, dim, target)];
            const T v = src.ptr<T>()[offset_at(src, c)];
            dst = accumulate ? static_cast<T>(static_cast<Wide<T>>(dst) + static_cast<Wide<T>>(v)) : v;
        }
    });
}

}  // namespace peso
