#include "nn/dropout.h"

#include "nn/repr.h"

namespace peso::nn {

namespace {
void check_p(double p, const char* who) {
    PESO_CHECK(p >= 0.0 && p <= 1.0, ValueError, "{}: dropout probability has to be between 0 and 1, but got {}", who,
               p);
}
}  // namespace

namespace functional {

Tensor dropout(const Tensor& x, double p, bool training, Generator* gen) {
    check_p(p, "dropout");
    PESO_CHECK(x.defined(), ValueError, "dropout: undefined input");
    if (!training || p == 0.0 || x.numel() == 0) return x;
    PESO_CHECK(x.is_floating_point(), DTypeError, "dropout: expected a floating input, got {}", x.dtype());
    if (p == 1.0) return mul(x, 0.0);
    // keep ~ Bernoulli(1 - p), drawn as u < 1 - p with u ~ U[0, 1); the kept
    // elements are scaled so that the expectation is unchanged.
    const Tensor keep = native::lt(native::rand_like(x, gen), 1.0 - p);
    const Tensor scale = native::mul(native::to_dtype(keep, x.dtype()), 1.0 / (1.0 - p));
    return mul(x, scale);
}

}  // namespace functional

Dropout::Dropout(double p) : p_(p) { check_p(p, "Dropout"); }

std::string Dropout::extra_repr() const { return "p=" + py_float(p_) + ", inplace=False"; }

}  // namespace peso::nn
