// Samples of reductions: all dims, one, several and negative ones, with and
// without keepdim, on 0-d, empty and non-contiguous inputs.
#include "tests/support/gradcheck_samples.h"

namespace peso::testing {

namespace {

using Reduce = std::function<Tensor(const Tensor&, const Dims&, bool)>;

// The dims/keepdim variants of a reduction over `leaf` inputs (values where
// the reduction is smooth), and the 0-d, empty and non-contiguous inputs.
void add_dims_samples(Samples& s, const char* op, const Reduce& r,
                      const std::function<Tensor(Inputs&, const Dims&)>& leaf, bool empty_reduced) {
    s.add(op, {"dim=all", "keepdim=false"}, [leaf](Inputs& in) { return TL{leaf(in, {in.n(2, 3), in.n(2, 3)})}; },
          [r](const TL& x) { return r(x[0], {}, false); });
    s.add(op, {"dim=all", "keepdim=true"}, [leaf](Inputs& in) { return TL{leaf(in, {2, 3})}; },
          [r](const TL& x) { return r(x[0], {}, true); });
    s.add(op, {"dim=one", "keepdim=false"}, [leaf](Inputs& in) { return TL{leaf(in, {in.n(2, 3), in.n(2, 3), 2})}; },
          [r](const TL& x) { return r(x[0], {1}, false); });
    s.add(op, {"dim=several", "keepdim=true"}, [leaf](Inputs& in) { return TL{leaf(in, {2, 2, 3})}; },
          [r](const TL& x) { return r(x[0], {0, 2}, true); });
    s.add(op, {"dim=several", "dim=negative", "keepdim=false"}, [leaf](Inputs& in) { return TL{leaf(in, {2, 3, 2})}; },
          [r](const TL& x) { return r(x[0], {-1, 0}, false); });
    s.add(op, {"dim=negative", "keepdim=true"}, [leaf](Inputs& in) { return TL{leaf(in, {3, 2})}; },
          [r](const TL& x) { return r(x[0], {-2}, true); });
    s.add(op, {"input=0-d"}, [leaf](Inputs& in) { return TL{leaf(in, {}), leaf(in, {})}; },
          [r](const TL& x) { return TL{r(x[0], {}, false), r(x[1], {0}, true)}; });
    // Empty: reducing a non-empty dim of an empty tensor, and (for the ops
    // that have an identity) the empty dim itself.
    s.add(op, {"input=empty"}, [leaf](Inputs& in) { return TL{leaf(in, {0, 3})}; }, [r, empty_reduced](const TL& x) {
        TL out{r(x[0], {1}, false)};
        if (empty_reduced) out.push_back(r(x[0], {0}, true));
        return out;
    });
    s.add(op, {"input=non-contiguous"},
          [leaf](Inputs& in) { return TL{leaf(in, {3, 2}), leaf(in, {2, 7}), leaf(in, {1, 3})}; },
          [r](const TL& x) {
              return TL{r(tr(x[0]), {0}, false), r(every_other(x[1]), {-1}, true), r(x[2].expand({2, 3}), {1}, false)};
          });
}

// The dim/keepdim variants of max/min along one dim (values only).
void add_dim_samples(Samples& s, const char* op, std::tuple<Tensor, Tensor> (*f)(const Tensor&, std::int64_t, bool)) {
    s.add(op, {"dim=positive", "keepdim=false"}, [](Inputs& in) { return TL{in.distinct({3, 4})}; },
          [f](const TL& x) { return std::get<0>(f(x[0], 1, false)); });
    s.add(op, {"dim=negative", "keepdim=true"}, [](Inputs& in) { return TL{in.distinct({3, 2, 2})}; },
          [f](const TL& x) { return std::get<0>(f(x[0], -3, true)); });
    s.add(op, {"input=0-d"}, leaves({Dims{}}),
          [f](const TL& x) { return TL{std::get<0>(f(x[0], 0, false)), std::get<0>(f(x[0], -1, true))}; });
    s.add(op, {"input=empty"}, leaves({{0, 3}}),
          [f](const TL& x) { return std::get<0>(f(x[0], 1, false)); });
    s.add(op, {"input=non-contiguous"}, [](Inputs& in) { return TL{in.distinct({3, 4})}; },
          [f](const TL& x) { return std::get<0>(f(tr(x[0]), 0, false)); });
}

}  // namespace

void add_reduction_samples(Samples& s) {
    const auto uniform = [](Inputs& in, const Dims& shape) { return in.p(shape); };
    const auto positive = [](Inputs& in, const Dims& shape) { return in.p(shape, 0.5, 1.5); };
    const auto distinct = [](Inputs& in, const Dims& shape) { return in.distinct(shape); };
    add_dims_samples(s, "sum", [](const Tensor& x, const Dims& d, bool k) { return sum(x, d, k); }, uniform, true);
    add_dims_samples(s, "mean", [](const Tensor& x, const Dims& d, bool k) { return mean(x, d, k); }, uniform, false);
    add_dims_samples(s, "prod", [](const Tensor& x, const Dims& d, bool k) { return prod(x, d, k); }, positive, true);
    add_dims_samples(s, "amax", [](const Tensor& x, const Dims& d, bool k) { return amax(x, d, k); }, distinct, false);
    add_dims_samples(s, "amin", [](const Tensor& x, const Dims& d, bool k) { return amin(x, d, k); }, distinct, false);
    add_dims_samples(s, "logsumexp", [](const Tensor& x, const Dims& d, bool k) { return logsumexp(x, d, k); },
                     uniform, false);
    add_dim_samples(s, "max", max);
    add_dim_samples(s, "min", min);

    // prod at zeros: one zero in a row (its gradient is the product of the
    // others), two (every first derivative there is 0, not the second).
    s.add("prod", {"zeros=none", "dim=one"}, [](Inputs& in) { return TL{in.p({2, 3}, 0.5, 1.5)}; },
          [](const TL& x) { return prod(x[0], {1}); });
    const auto with_zeros = [](std::vector<std::int64_t> at) {
        return [at](Inputs& in) {
            Tensor t = in.c({2, 4}, 0.5, 1.5);
            for (std::int64_t i : at) t.view({-1}).select(0, i).fill_(0.0);
            return TL{t.requires_grad_(true)};
        };
    };
    s.add("prod", {"zeros=one"}, with_zeros({1, 6}), [](const TL& x) { return TL{prod(x[0], {1}), prod(x[0])}; });
    s.add("prod", {"zeros=two"}, with_zeros({0, 2}), [](const TL& x) { return TL{prod(x[0], {1}), prod(x[0], {0})}; });

    using VarFn = Tensor (*)(const Tensor&, const Dims&, double, bool);
    using Named = std::pair<const char*, VarFn>;
    for (const auto& [op, f] : {Named{"var", var}, Named{"std", peso::std}}) {
        const VarFn fn = f;
        s.add(op, {"dim=all", "keepdim=false", "correction=1", "elements=several"},
              [](Inputs& in) { return TL{in.p({in.n(2, 3), in.n(2, 3)})}; },
              [fn](const TL& x) { return fn(x[0], {}, 1.0, false); });
        s.add(op, {"dim=one", "keepdim=true", "correction=0"}, leaves({{3, 4}}),
              [fn](const TL& x) { return fn(x[0], {1}, 0.0, true); });
        s.add(op, {"dim=several", "keepdim=false", "correction=2"}, leaves({{2, 3, 2}}),
              [fn](const TL& x) { return fn(x[0], {0, 2}, 2.0, false); });
        s.add(op, {"dim=negative", "keepdim=true", "correction=1"}, leaves({{3, 4}}),
              [fn](const TL& x) { return fn(x[0], {-2}, 1.0, true); });
        s.add(op, {"dim=all", "keepdim=true"}, leaves({{2, 3}}),
              [fn](const TL& x) { return fn(x[0], {}, 1.0, true); });
        // Over one element (correction 0): the result is 0 whatever x is.
        s.add(op, {"elements=one", "correction=0"}, leaves({{3, 1}}),
              [fn](const TL& x) { return add(fn(x[0], {1}, 0.0, false), x[0].select(1, 0)); });
        s.add(op, {"input=non-contiguous"}, leaves({{4, 3}, {2, 9}}),
              [fn](const TL& x) { return TL{fn(tr(x[0]), {1}, 1.0, false), fn(every_other(x[1]), {}, 0.0, false)}; });
    }
}

}  // namespace peso::testing
