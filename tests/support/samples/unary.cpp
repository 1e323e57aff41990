// Samples of elementwise unary ops: each on a plain, a 0-d, an empty and a
// non-contiguous input, in a domain away from its kinks and poles.
#include "tests/support/gradcheck_samples.h"

namespace peso::testing {

namespace {

struct Unary {
    const char* op;
    std::function<Tensor(const Tensor&)> f;
    double lo, hi;
    bool signed_magnitude;  // values of magnitude in [lo, hi), either sign
};

Tensor leaf(Inputs& in, const Unary& u, const Dims& shape) {
    return u.signed_magnitude ? in.away_from_zero(shape, u.lo, u.hi) : in.p(shape, u.lo, u.hi);
}

void add_unary(Samples& s, const Unary& u) {
    const auto f = u.f;
    s.add(u.op, {}, [u](Inputs& in) { return TL{leaf(in, u, {in.n(), in.n(2, 4)})}; },
          [f](const TL& x) { return f(x[0]); });
    s.add(u.op, {"input=0-d"}, [u](Inputs& in) { return TL{leaf(in, u, {})}; }, [f](const TL& x) { return f(x[0]); });
    s.add(u.op, {"input=empty"}, [u](Inputs& in) { return TL{leaf(in, u, {2, 0})}; },
          [f](const TL& x) { return f(x[0]); });
    // Transposed, strided with an offset, and expanded (stride 0).
    s.add(u.op, {"input=non-contiguous"},
          [u](Inputs& in) { return TL{leaf(in, u, {3, 2}), leaf(in, u, {2, 7}), leaf(in, u, {3, 1})}; },
          [f](const TL& x) { return TL{f(tr(x[0])), f(every_other(x[1])), f(x[2].expand({3, 4}))}; });
}

}  // namespace

void add_unary_samples(Samples& s) {
    const std::vector<Unary> ops = {
        {"neg", [](const Tensor& x) { return neg(x); }, -1, 1, false},
        {"abs", [](const Tensor& x) { return abs(x); }, 0.2, 1, true},
        {"exp", [](const Tensor& x) { return exp(x); }, -1, 1, false},
        {"log", [](const Tensor& x) { return log(x); }, 0.5, 2, false},
        {"log1p", [](const Tensor& x) { return log1p(x); }, -0.5, 1, false},
        {"sqrt", [](const Tensor& x) { return sqrt(x); }, 0.5, 2, false},
        {"rsqrt", [](const Tensor& x) { return rsqrt(x); }, 0.5, 2, false},
        {"sin", [](const Tensor& x) { return sin(x); }, -2, 2, false},
        {"cos", [](const Tensor& x) { return cos(x); }, -2, 2, false},
        {"tanh", [](const Tensor& x) { return tanh(x); }, -2, 2, false},
        {"sigmoid", [](const Tensor& x) { return sigmoid(x); }, -3, 3, false},
        {"relu", [](const Tensor& x) { return relu(x); }, 0.2, 1, true},
        {"leaky_relu", [](const Tensor& x) { return leaky_relu(x); }, 0.2, 1, true},
        {"softplus", [](const Tensor& x) { return softplus(x); }, -3, 3, false},
        {"gelu", [](const Tensor& x) { return gelu(x); }, -3, 3, false},
        {"gelu_tanh", [](const Tensor& x) { return gelu(x, "tanh"); }, -3, 3, false},
        {"erf", [](const Tensor& x) { return erf(x); }, -1.5, 1.5, false},
        {"reciprocal", [](const Tensor& x) { return reciprocal(x); }, 0.5, 2, true},
        {"sign", [](const Tensor& x) { return sign(x); }, 0.2, 1, true},
        {"floor", [](const Tensor& x) { return floor(x); }, 0.1, 0.9, false},
        {"ceil", [](const Tensor& x) { return ceil(x); }, 0.1, 0.9, false},
        {"round", [](const Tensor& x) { return round(x); }, 0.1, 0.4, false},
    };
    for (const Unary& u : ops) add_unary(s, u);

    const auto positive = [](Inputs& in) { return TL{in.p({2, 3}, 0.5, 2)}; };
    s.add("pow_scalar", {"exponent=integer"}, positive, [](const TL& x) { return pow(x[0], 3); });
    s.add("pow_scalar", {"exponent=negative"}, positive, [](const TL& x) { return pow(x[0], -1.5); });
    s.add("pow_scalar", {"exponent=fractional"}, positive, [](const TL& x) { return pow(x[0], 0.5); });
    s.add("pow_scalar", {"exponent=zero"}, positive, [](const TL& x) { return mul(pow(x[0], 0), x[0]); });
    s.add("pow_scalar", {"exponent=one"}, [](Inputs& in) { return TL{in.p({3}, -1, 1)}; },
          [](const TL& x) { return pow(x[0], 1); });
    s.add("pow_scalar", {"exponent=integer", "input=0-d"}, [](Inputs& in) { return TL{in.p({}, -1, 1)}; },
          [](const TL& x) { return pow(x[0], 2); });
    s.add("pow_scalar", {"input=empty"}, leaves({{0, 2}}),
          [](const TL& x) { return pow(x[0], 2.5); });
    s.add("pow_scalar", {"input=non-contiguous"}, [](Inputs& in) { return TL{in.p({3, 2}, 0.5, 2)}; },
          [](const TL& x) { return pow(tr(x[0]), -2); });

    const auto mixed = [](Inputs& in) { return TL{in.away_from_zero({3, 4}, 0.2, 2)}; };
    s.add("leaky_relu", {"negative_slope=default"}, mixed, [](const TL& x) { return leaky_relu(x[0]); });
    s.add("leaky_relu", {"negative_slope=other"}, mixed, [](const TL& x) { return leaky_relu(x[0], -0.3); });
    const auto wide = [](Inputs& in) { return TL{in.p({3, 4}, -4, 4)}; };
    s.add("softplus", {"beta=default", "threshold=below"}, wide, [](const TL& x) { return softplus(x[0]); });
    s.add("softplus", {"beta=other", "threshold=below"}, wide, [](const TL& x) { return softplus(x[0], 2.5); });
    // beta x crosses the threshold (3) inside the input: both branches, no element near the cut.
    s.add("softplus", {"beta=other", "threshold=above"}, mixed,
          [](const TL& x) { return softplus(add(x[0], 1.0), 2.0, 3.0); });

    // distinct values: none within 0.05 of a bound.
    const auto grid = [](Inputs& in) { return TL{in.distinct({3, 3})}; };
    s.add("clamp", {"bounds=min"}, grid, [](const TL& x) { return clamp(x[0], 0.42, std::nullopt); });
    s.add("clamp", {"bounds=max"}, grid, [](const TL& x) { return clamp(x[0], std::nullopt, 0.52); });
    s.add("clamp", {"bounds=both"}, grid, [](const TL& x) { return clamp(x[0], 0.22, 0.68); });
    s.add("clamp", {"bounds=min>max"}, grid, [](const TL& x) { return clamp(x[0], 0.62, 0.32); });  // all max
    s.add("clamp", {"bounds=both", "variant=in-place"}, grid, [](const TL& x) {
        Tensor y = mul(x[0], 1.0);
        return clamp_(y, 0.22, 0.68);
    });
    s.add("clamp", {"variant=out-of-place", "input=0-d"}, [](Inputs& in) { return TL{in.p({}, 0.3, 0.7)}; },
          [](const TL& x) { return clamp(x[0], 0.2, 0.8); });
    s.add("clamp", {"input=empty"}, leaves({{0}}),
          [](const TL& x) { return clamp(x[0], 0.2, 0.8); });
    s.add("clamp", {"input=non-contiguous"}, [](Inputs& in) { return TL{in.distinct({2, 7})}; },
          [](const TL& x) { return clamp(every_other(x[0]), 0.32, 1.02); });
}

}  // namespace peso::testing
