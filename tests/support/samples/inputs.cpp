// What every family of samples shares: inputs, layouts, the list of all.
#include <fmt/ranges.h>

#include "tests/support/gradcheck_samples.h"

namespace peso::testing {

Tensor Inputs::c(const Dims& shape, double lo, double hi) {
    NoGradGuard g;
    Tensor t = empty(shape, DType::f64);
    return uniform_(t, lo, hi, &gen_);
}

Tensor Inputs::p(const Dims& shape, double lo, double hi) { return c(shape, lo, hi).requires_grad_(true); }

Tensor Inputs::away_from_zero(const Dims& shape, double lo, double hi) {
    NoGradGuard g;
    const Tensor magnitude = c(shape, lo, hi);
    const Tensor sign = sub(mul(bernoulli(full(shape, 0.5, DType::f64), &gen_), 2.0), 1.0);
    return mul(magnitude, sign).requires_grad_(true);
}

Tensor Inputs::distinct(const Dims& shape, double shift) {
    NoGradGuard g;
    const Tensor perm = randperm(shape.product(), {}, &gen_).to(DType::f64);
    return add(mul(perm, 0.1), 0.05 + shift).reshape(shape).contiguous().requires_grad_(true);
}

std::int64_t Inputs::n(std::int64_t lo, std::int64_t hi) {
    return randint(lo, hi + 1, {1}, {}, &gen_).item<std::int64_t>();
}

Tensor Inputs::mask(const Dims& shape) {
    NoGradGuard g;
    return lt(rand(shape, TensorOptions(DType::f64), &gen_), 0.5);
}

std::function<TL(Inputs&)> leaves(std::vector<Dims> shapes) {
    return [shapes = std::move(shapes)](Inputs& in) {
        TL out;
        for (const Dims& shape : shapes) out.push_back(in.p(shape));
        return out;
    };
}

Tensor index(const std::vector<std::int64_t>& values, const Dims& shape) { return from_vector(values, shape); }
Tensor index(const std::vector<std::int64_t>& values) { return from_vector(values); }
Tensor bools(const std::vector<bool>& values, const Dims& shape) { return from_vector(values, shape); }

Tensor tr(const Tensor& t) { return t.transpose(-2, -1); }
Tensor every_other(const Tensor& t) { return t.slice(-1, 1, std::nullopt, 2); }

std::string Sample::label() const { return fmt::format("{} [{}]", op, fmt::join(options, " ")); }

const std::vector<Sample>& all_samples() {
    static const std::vector<Sample> all = [] {
        Samples s;
        add_copy_samples(s);
        add_view_samples(s);
        add_unary_samples(s);
        add_binary_samples(s);
        add_reduction_samples(s);
        add_linalg_samples(s);
        add_normalization_samples(s);
        add_indexing_samples(s);
        add_joining_samples(s);
        return s.list();
    }();
    return all;
}

Device other_device(const Tensor& t) { return t.device().is_cpu() ? Device::cuda(0) : Device::cpu(); }

bool second_device_available() {
    try {
        backend_for(Device::cuda(0));
        return true;
    } catch (const Error&) {
        return false;
    }
}

}  // namespace peso::testing
