#include "nn/cosine_similarity.h"

#include "tensor/broadcast.h"

namespace peso::nn::functional {

Tensor cosine_similarity(const Tensor& x1, const Tensor& x2, std::int64_t dim, double eps) {
    PESO_CHECK(x1.defined() && x2.defined(), ValueError, "cosine_similarity: undefined input");
    PESO_CHECK(x1.is_floating_point() && x2.is_floating_point(), DTypeError,
               "cosine_similarity: expected floating inputs, got {} and {}", x1.dtype(), x2.dtype());
    const Dims shape = broadcast_shapes(x1.sizes(), x2.sizes(), "cosine_similarity");
    const int nd = shape.size();
    PESO_CHECK(nd >= 1 && dim >= -nd && dim < nd, IndexError,
               "cosine_similarity: dim {} out of range for inputs of shapes {} and {}", dim, x1.sizes(),
               x2.sizes());
    const std::int64_t d = dim < 0 ? dim + nd : dim;
    const Tensor a = x1.expand(shape), b = x2.expand(shape);
    Tensor s1 = sum(mul(a, a), {d}, true);
    Tensor s2 = sum(mul(b, b), {d}, true);
    {
        // As PyTorch (1.13) does: the squared norms are clamped in place
        // without recording, so the gradient is that of the unclamped norms.
        NoGradGuard g;
        s1.clamp_(eps * eps, std::nullopt);
        s2.clamp_(eps * eps, std::nullopt);
    }
    return squeeze(div(sum(mul(a, b), {d}, true), sqrt(mul(s1, s2))), d);
}

}  // namespace peso::nn::functional
