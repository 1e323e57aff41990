// Samples of elementwise binary ops: broadcasting in each operand, gradients
// for either operand alone, scalar operands, mixed dtypes, in-place forms,
// and 0-d, empty and non-contiguous inputs.
#include "tests/support/gradcheck_samples.h"

namespace peso::testing {

namespace {

using BinaryFn = std::function<Tensor(const Tensor&, const Tensor&)>;

struct Binary {
    const char* op;
    BinaryFn f;
    double a_lo, a_hi, b_lo, b_hi;
    bool distinct;  // values that never tie (maximum, minimum)
    std::vector<std::string> plain;  // the option values the plain sample exercises besides broadcast=none
};

// Operand `which` (0 = a, 1 = b) of shape `shape`; a leaf when `grad`.
Tensor operand(Inputs& in, const Binary& op, int which, const Dims& shape, bool grad) {
    Tensor t;
    if (op.distinct) t = in.distinct(shape, which == 0 ? 0.0 : 0.025).detach();
    else t = which == 0 ? in.c(shape, op.a_lo, op.a_hi) : in.c(shape, op.b_lo, op.b_hi);
    return grad ? t.requires_grad_(true) : t;
}

void add_binary(Samples& s, const Binary& op) {
    const BinaryFn f = op.f;
    auto apply = [f](const TL& x) { return f(x[0], x[1]); };
    std::vector<std::string> plain{"broadcast=none", "requires_grad=both"};
    plain.insert(plain.end(), op.plain.begin(), op.plain.end());
    s.add(op.op, plain, [op](Inputs& in) {
        const Dims shape{in.n(), in.n(2, 4)};
        return TL{operand(in, op, 0, shape, true), operand(in, op, 1, shape, true)};
    }, apply);
    s.add(op.op, {"broadcast=lhs", "requires_grad=rhs"}, [op](Inputs& in) {
        const std::int64_t cols = in.n(2, 4);
        return TL{operand(in, op, 0, {cols}, false), operand(in, op, 1, {in.n(2, 3), cols}, true)};
    }, apply);
    s.add(op.op, {"broadcast=rhs", "requires_grad=lhs"}, [op](Inputs& in) {
        const std::int64_t rows = in.n(2, 3);
        return TL{operand(in, op, 0, {rows, in.n(2, 4)}, true), operand(in, op, 1, {rows, 1}, false)};
    }, apply);
    s.add(op.op, {"broadcast=both"}, [op](Inputs& in) {
        return TL{operand(in, op, 0, {in.n(2, 3), 1}, true), operand(in, op, 1, {1, in.n(2, 3)}, true)};
    }, apply);
    s.add(op.op, {"input=0-d"}, [op](Inputs& in) {
        return TL{operand(in, op, 0, {}, true), operand(in, op, 1, {}, true)};
    }, apply);
    s.add(op.op, {"input=empty"}, [op](Inputs& in) {
        return TL{operand(in, op, 0, {0, 3}, true), operand(in, op, 1, {3}, true)};
    }, apply);
    s.add(op.op, {"input=non-contiguous"}, [op](Inputs& in) {
        return TL{operand(in, op, 0, {3, 2}, true), operand(in, op, 1, {2, 7}, true),
                  operand(in, op, 0, {1, 3}, true)};
    }, [f](const TL& x) {
        return TL{f(tr(x[0]), every_other(x[1])), f(x[2].expand({2, 3}), every_other(x[1]))};
    });
}

const GradcheckOptions kFloat32{1e-3, 1e-3, 1e-2};  // through a float32 operand

// b as a float32 operand: its gradient comes back as float32.
Tensor f32(const Tensor& t) { return to_dtype(t, DType::f32); }

}  // namespace

void add_binary_samples(Samples& s) {
    const std::vector<std::string> arithmetic{"alpha=1", "other=tensor", "dtypes=same", "variant=out-of-place"};
    add_binary(s, {"add", [](const Tensor& a, const Tensor& b) { return add(a, b); }, -1, 1, -1, 1, false, arithmetic});
    add_binary(s, {"sub", [](const Tensor& a, const Tensor& b) { return sub(a, b); }, -1, 1, -1, 1, false, arithmetic});
    add_binary(s, {"mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); }, -1, 1, -1, 1, false,
                   {"other=tensor", "dtypes=same", "variant=out-of-place"}});
    add_binary(s, {"div", [](const Tensor& a, const Tensor& b) { return div(a, b); }, -1, 1, 0.5, 1.5, false,
                   {"other=tensor", "dtypes=same", "variant=out-of-place"}});
    add_binary(s, {"pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); }, 0.5, 1.5, -1.5, 1.5, false,
                   {"other=tensor"}});
    add_binary(s, {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }, 0, 0, 0, 0, true, {}});
    add_binary(s, {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); }, 0, 0, 0, 0, true, {}});
    // a / b stays away from integers, where remainder jumps.
    add_binary(s, {"remainder", [](const Tensor& a, const Tensor& b) { return remainder(a, b); }, 2.2, 2.8, 1.0, 1.05,
                   false, {"signs=positive"}});
    s.add("remainder", {"signs=negative"},
          [](Inputs& in) {
              return TL{in.p({2, 3}, -1.8, -1.2), in.p({2, 3}, 1.0, 1.05), in.p({3}, 2.2, 2.8), in.p({3}, -1.05, -1.0)};
          },
          [](const TL& x) { return TL{remainder(x[0], x[1]), remainder(x[2], x[3])}; });

    const auto pair = [](Inputs& in) { return TL{in.p({2, 3}), in.p({2, 3}, 0.5, 1.5)}; };
    s.add("add", {"other=scalar"}, pair, [](const TL& x) { return add(x[0], 2.5); });
    s.add("add", {"alpha=other"}, pair, [](const TL& x) { return add(x[0], x[1], -0.5); });
    s.add("add", {"dtypes=mixed"}, pair, [](const TL& x) { return add(x[0], f32(x[1])); }, kFloat32);
    s.add("add", {"variant=in-place", "alpha=other"}, pair, [](const TL& x) {
        Tensor y = mul(x[0], 1.0);
        return add_(y, x[1], 2.0);
    });
    s.add("sub", {"other=scalar"}, pair, [](const TL& x) { return sub(x[0], 2.5); });
    s.add("sub", {"other=scalar-first"}, pair, [](const TL& x) { return sub(1.5, x[1]); });
    s.add("sub", {"alpha=other"}, pair, [](const TL& x) { return sub(x[0], x[1], 2.0); });
    s.add("sub", {"dtypes=mixed"}, pair, [](const TL& x) { return sub(f32(x[0]), x[1]); }, kFloat32);
    s.add("sub", {"variant=in-place"}, pair, [](const TL& x) {
        Tensor y = mul(x[0], 1.0);
        return sub_(y, x[1].select(0, 1));
    });
    s.add("mul", {"other=scalar"}, pair, [](const TL& x) { return mul(x[0], -3.0); });
    s.add("mul", {"dtypes=mixed"}, pair, [](const TL& x) { return mul(x[0], f32(x[1])); }, kFloat32);
    s.add("mul", {"variant=in-place"}, pair, [](const TL& x) {
        Tensor y = mul(x[0], 1.0);
        return mul_(y, x[1]);
    });
    s.add("div", {"other=scalar"}, pair, [](const TL& x) { return div(x[0], 4.0); });
    s.add("div", {"other=scalar-first"}, pair, [](const TL& x) { return div(2.0, x[1]); });
    s.add("div", {"dtypes=mixed"}, pair, [](const TL& x) { return div(f32(x[0]), x[1]); }, kFloat32);
    s.add("div", {"variant=in-place"}, pair, [](const TL& x) {
        Tensor y = mul(x[0], 1.0);
        return div_(y, x[1]);
    });
    s.add("pow", {"other=scalar-first"}, pair, [](const TL& x) { return pow(2.0, x[1]); });

    const auto where_args = [](Inputs& in) { return TL{in.mask({2, 3}), in.p({2, 3}), in.p({2, 3})}; };
    s.add("where", {"broadcast=none", "other=tensors", "requires_grad=both"}, where_args,
          [](const TL& x) { return where(x[0], x[1], x[2]); });
    s.add("where", {"broadcast=condition", "requires_grad=lhs"},
          [](Inputs& in) { return TL{in.mask({3}), in.p({2, 3}), in.c({2, 3})}; },
          [](const TL& x) { return where(x[0], x[1], x[2]); });
    s.add("where", {"broadcast=lhs", "requires_grad=rhs"},
          [](Inputs& in) { return TL{in.mask({2, 3}), in.c({3}), in.p({2, 3})}; },
          [](const TL& x) { return where(x[0], x[1], x[2]); });
    s.add("where", {"broadcast=rhs"}, [](Inputs& in) { return TL{in.mask({2, 3}), in.p({2, 3}), in.p({2, 1})}; },
          [](const TL& x) { return where(x[0], x[1], x[2]); });
    s.add("where", {"other=scalar-lhs"}, where_args, [](const TL& x) { return where(x[0], 2.0, x[2]); });
    s.add("where", {"other=scalar-rhs"}, where_args, [](const TL& x) { return where(x[0], x[1], -1.0); });
    s.add("where", {"input=0-d"}, [](Inputs& in) { return TL{bools({true}, {}), in.p({}), in.p({})}; },
          [](const TL& x) { return where(x[0], x[1], x[2]); });
    s.add("where", {"input=empty"}, [](Inputs& in) { return TL{in.mask({0, 2}), in.p({0, 2}), in.p({2})}; },
          [](const TL& x) { return where(x[0], x[1], x[2]); });
    s.add("where", {"input=non-contiguous"}, [](Inputs& in) { return TL{in.mask({2, 3}), in.p({3, 2}), in.p({2, 7})}; },
          [](const TL& x) { return where(x[0], tr(x[1]), every_other(x[2])); });

    s.add("masked_fill", {"mask=same-shape", "variant=out-of-place"},
          [](Inputs& in) { return TL{in.p({2, 3}), in.mask({2, 3})}; },
          [](const TL& x) { return masked_fill(x[0], x[1], -1.0); });
    s.add("masked_fill", {"mask=broadcast"},
          [](Inputs& in) { return TL{in.p({2, 3}), bools({true, false, true}, {3})}; },
          [](const TL& x) { return masked_fill(x[0], x[1], 0.5); });
    s.add("masked_fill", {"variant=in-place"}, [](Inputs& in) { return TL{in.p({2, 3}), in.mask({2, 1})}; },
          [](const TL& x) {
              Tensor y = mul(x[0], 1.0);
              return masked_fill_(y, x[1], 2.0);
          });
    s.add("masked_fill", {"input=0-d"}, [](Inputs& in) { return TL{in.p({}), bools({false}, {})}; },
          [](const TL& x) { return masked_fill(x[0], x[1], 2.0); });
    s.add("masked_fill", {"input=empty"}, [](Inputs& in) { return TL{in.p({0, 3}), in.mask({3})}; },
          [](const TL& x) { return masked_fill(x[0], x[1], 2.0); });
    s.add("masked_fill", {"input=non-contiguous"}, [](Inputs& in) { return TL{in.p({3, 2}), in.mask({2, 3})}; },
          [](const TL& x) { return masked_fill(tr(x[0]), x[1], 2.0); });
}

}  // namespace peso::testing
