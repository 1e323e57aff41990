// Samples of cat (and stack), tril/triu, sort, topk and cumsum, and of ops run through checkpoint.
#include "tests/support/gradcheck_samples.h"

namespace peso::testing {

namespace {

void add_triangle(Samples& s, const char* op, Tensor (*f)(const Tensor&, std::int64_t)) {
    s.add(op, {"diagonal=zero"}, [](Inputs& in) { return TL{in.p({in.n(2, 4), in.n(2, 4)})}; },
          [f](const TL& x) { return f(x[0], 0); });
    s.add(op, {"diagonal=positive"}, leaves({{3, 4}}), [f](const TL& x) { return f(x[0], 1); });
    s.add(op, {"diagonal=negative"}, leaves({{4, 3}}), [f](const TL& x) { return f(x[0], -2); });
    s.add(op, {"input=batched"}, leaves({{2, 3, 3}}), [f](const TL& x) { return f(x[0], 0); });
    s.add(op, {"input=empty"}, leaves({{0, 3}}), [f](const TL& x) { return f(x[0], 0); });
    s.add(op, {"input=non-contiguous"}, leaves({{4, 3}}),
          [f](const TL& x) { return f(tr(x[0]), -1); });
}

}  // namespace

void add_joining_samples(Samples& s) {
    s.add("cat", {"dim=first", "tensors=several", "via=cat"}, leaves({{2, 3}, {1, 3}}),
          [](const TL& x) { return cat({x[0], x[1]}, 0); });
    s.add("cat", {"dim=last"}, leaves({{2, 3}, {2, 2}, {2, 1}}),
          [](const TL& x) { return cat(x, 1); });
    s.add("cat", {"dim=negative", "tensors=with-empty"}, leaves({{2, 3}, {2, 0}}),
          [](const TL& x) { return cat({x[0], x[1]}, -1); });
    s.add("cat", {"tensors=one"}, leaves({{2, 3}}), [](const TL& x) { return cat({x[0]}, 0); });
    s.add("cat", {"via=stack"}, leaves({{2, 3}, {2, 3}}),
          [](const TL& x) { return stack({x[0], x[1], x[0]}, 1); });
    s.add("cat", {"input=0-d", "via=stack"}, leaves({Dims{}, Dims{}}),
          [](const TL& x) { return stack({x[0], x[1]}, 0); });
    s.add("cat", {"input=non-contiguous"}, leaves({{3, 2}, {2, 7}}),
          [](const TL& x) { return cat({tr(x[0]), every_other(x[1])}, 0); });

    add_triangle(s, "tril", tril);
    add_triangle(s, "triu", triu);

    s.add("sort", {"descending=false", "dim=positive"}, [](Inputs& in) { return TL{in.distinct({3, 4})}; },
          [](const TL& x) { return std::get<0>(sort(x[0], 1)); });
    s.add("sort", {"descending=true", "dim=negative"}, [](Inputs& in) { return TL{in.distinct({3, 4})}; },
          [](const TL& x) { return std::get<0>(sort(x[0], -2, true)); });
    s.add("sort", {"input=0-d"}, leaves({Dims{}}),
          [](const TL& x) { return std::get<0>(sort(x[0], 0)); });
    s.add("sort", {"input=empty"}, leaves({{0, 3}}),
          [](const TL& x) { return TL{std::get<0>(sort(x[0], 1)), std::get<0>(sort(x[0], 0))}; });
    s.add("sort", {"input=non-contiguous"}, [](Inputs& in) { return TL{in.distinct({2, 7})}; },
          [](const TL& x) { return std::get<0>(sort(every_other(x[0]), -1, true)); });

    const auto topk_values = [](std::int64_t k, std::int64_t dim, bool largest, bool sorted) {
        return [=](const TL& x) { return std::get<0>(topk(x[0], k, dim, largest, sorted)); };
    };
    const auto grid = [](Inputs& in) { return TL{in.distinct({3, 5})}; };
    s.add("topk", {"k=several", "dim=positive", "largest=true", "sorted=true"}, grid, topk_values(2, 1, true, true));
    s.add("topk", {"k=one", "dim=negative", "largest=false"}, grid, topk_values(1, -2, false, true));
    s.add("topk", {"k=all", "sorted=false"}, grid, topk_values(5, 1, true, false));
    s.add("topk", {"k=several", "largest=false", "sorted=false"}, grid, topk_values(3, -1, false, false));
    s.add("topk", {"k=zero"}, grid, topk_values(0, 1, true, true));
    s.add("topk", {"input=non-contiguous"}, grid, [](const TL& x) { return std::get<0>(topk(tr(x[0]), 2, 0)); });

    s.add("cumsum", {"dim=positive"}, leaves({{3, 4}}), [](const TL& x) { return cumsum(x[0], 1); });
    s.add("cumsum", {"dim=negative"}, leaves({{3, 2, 2}}),
          [](const TL& x) { return cumsum(x[0], -3); });
    s.add("cumsum", {"input=0-d"}, leaves({Dims{}}), [](const TL& x) { return cumsum(x[0], 0); });
    s.add("cumsum", {"input=empty"}, leaves({{0, 3}}),
          [](const TL& x) { return TL{cumsum(x[0], 0), cumsum(x[0], 1)}; });
    s.add("cumsum", {"input=non-contiguous"}, leaves({{2, 7}}),
          [](const TL& x) { return cumsum(every_other(x[0]), 1); });

    // Checkpointing records the ops of its function (again in backward), not
    // a node of its own: these are samples of matmul, run through it.
    const auto segment = [](const TL& in) -> TL { return {tanh(matmul(in[0], in[1])), mul(in[0], in[0])}; };
    s.add("matmul", {}, leaves({{2, 3}, {3, 3}}),
          [segment](const TL& x) { return autograd::checkpoint(segment, {x[0], x[1]}); });
    s.add("matmul", {}, [](Inputs& in) { return TL{in.p({2, 3}), in.c({3, 2})}; }, [](const TL& x) {
        return autograd::checkpoint([](const TL& in) -> TL { return {sigmoid(matmul(in[0], in[1]))}; }, {x[0], x[1]});
    });
}

}  // namespace peso::testing
