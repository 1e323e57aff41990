// Samples of matrix products and einsum.
#include "tests/support/gradcheck_samples.h"

namespace peso::testing {

void add_linalg_samples(Samples& s) {
    const auto mm2 = [](const TL& x) { return matmul(x[0], x[1]); };
    s.add("matmul", {"ranks=vector-vector"}, leaves({{3}, {3}}), mm2);
    s.add("matmul", {"ranks=vector-matrix"}, leaves({{3}, {3, 2}}), mm2);
    s.add("matmul", {"ranks=matrix-vector"}, leaves({{2, 3}, {3}}), mm2);
    s.add("matmul", {"ranks=matrix-matrix"}, [](Inputs& in) { return TL{in.p({in.n(), 3}), in.p({3, in.n()})}; }, mm2);
    s.add("matmul", {"ranks=batched-matrix", "input=non-contiguous"},
          leaves({{2, 3, 4}, {2, 4}}),
          [](const TL& x) { return matmul(x[0], tr(x[1])); });  // a Linear's weight.t()
    s.add("matmul", {"ranks=batched-vector"}, leaves({{2, 2, 3}, {3}}), mm2);
    s.add("matmul", {"ranks=vector-batched"}, leaves({{3}, {2, 3, 2}}), mm2);
    s.add("matmul", {"ranks=batched-batched"}, leaves({{2, 2, 3}, {2, 3, 2}}), mm2);
    s.add("matmul", {"ranks=broadcast-batch"}, leaves({{2, 1, 2, 3}, {3, 3, 2}}), mm2);
    s.add("matmul", {"input=empty"}, leaves({{0, 3}, {3, 2}, {2, 0, 3}}),
          [](const TL& x) { return TL{matmul(x[0], x[1]), matmul(x[2], x[1])}; });

    s.add("mm", {"inner=positive"}, leaves({{3, 4}, {4, 2}}),
          [](const TL& x) { return mm(x[0], x[1]); });
    s.add("mm", {"inner=zero"}, leaves({{3, 0}, {0, 2}}),
          [](const TL& x) { return mm(x[0], x[1]); });  // zeros, and no gradient
    s.add("mm", {"input=empty"}, leaves({{0, 3}, {3, 2}}),
          [](const TL& x) { return mm(x[0], x[1]); });
    s.add("mm", {"input=non-contiguous"}, leaves({{4, 3}, {2, 9}}),
          [](const TL& x) { return mm(tr(x[0]), tr(every_other(x[1]))); });

    const auto bmm2 = [](const TL& x) { return bmm(x[0], x[1]); };
    s.add("bmm", {"batch=one"}, leaves({{1, 2, 3}, {1, 3, 2}}), bmm2);
    s.add("bmm", {"batch=several"}, [](Inputs& in) {
        const std::int64_t k = in.n();
        return TL{in.p({3, in.n(), k}), in.p({3, k, in.n()})};
    }, bmm2);
    s.add("bmm", {"input=empty"}, leaves({{0, 2, 3}, {0, 3, 2}}), bmm2);
    s.add("bmm", {"input=non-contiguous"}, leaves({{2, 3, 2}, {2, 3, 2}}),
          [](const TL& x) { return bmm(tr(x[0]), x[1]); });

    const auto ein = [](const char* eq) { return [eq](const TL& x) { return einsum(eq, x); }; };
    s.add("einsum", {"equation=contraction"}, leaves({{2, 3}, {3, 4}}),
          ein("ij,jk->ik"));
    s.add("einsum", {"equation=batch"}, leaves({{2, 2, 3, 2}, {2, 2, 4, 2}}),
          ein("bhqd,bhkd->bhqk"));
    s.add("einsum", {"equation=outer"}, leaves({{3}, {2}}), ein("i,j->ij"));
    s.add("einsum", {"equation=reduction"}, leaves({{3, 4}}), ein("ij->j"));
    s.add("einsum", {"equation=permutation"}, leaves({{2, 3, 4}}), ein("ijk->kij"));
    s.add("einsum", {"equation=repeated"}, leaves({{3, 3}, {3, 3}}),
          [](const TL& x) { return TL{einsum("ii->i", {x[0]}), einsum("ii", {x[0]}), einsum("ij,ij->i", x)}; });
    s.add("einsum", {"equation=ellipsis"}, leaves({{2, 2, 3}, {3, 2}}),
          ein("...ij,jk->...ik"));
    s.add("einsum", {"equation=implicit"}, leaves({{2, 3}, {3, 2}}), ein("ij,jk"));
    s.add("einsum", {"equation=three-operands"}, leaves({{2, 3}, {3}, {3, 2}}),
          ein("ij,j,jk->ik"));
    s.add("einsum", {"input=empty"}, leaves({{2, 0}, {0, 3}}), ein("ij,jk->ik"));
    s.add("einsum", {"input=non-contiguous"}, leaves({{3, 2}, {3, 7}}),
          [](const TL& x) { return einsum("ij,jk->ik", {tr(x[0]), every_other(x[1])}); });
}

}  // namespace peso::testing
