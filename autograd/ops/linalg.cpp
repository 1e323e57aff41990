// Matrix products and einsum, and their derivatives.
#include <string>

#include "autograd/ops/common.h"

namespace peso {

using namespace autograd;

namespace {

Tensor mT(const Tensor& t) { return transpose(t, -2, -1); }

// d b for a (..., M, K) @ b (K, N), b shared by every matrix of a's batch: all
// of a's rows at once, a^T g as one GEMM over batch * M rows, instead of one
// (K, N) product per matrix summed afterwards (for a GPT's tied head, a
// (batch, C, vocab) buffer). When b is a transposed matrix (a Linear's
// weight.t()), the product is formed as (g^T a)^T so that the weight gets a
// contiguous gradient of its own layout.
Tensor shared_rhs_grad(const Tensor& a, bool b_transposed, const Tensor& g) {
    const Tensor a2 = a.reshape({-1, a.size(-1)});
    const Tensor g2 = g.reshape({-1, g.size(-1)});
    return b_transposed ? mT(matmul(mT(g2), a2)) : matmul(mT(a2), g2);
}

bool is_transposed_matrix(const Tensor& b) { return b.dim() == 2 && !b.is_contiguous() && mT(b).is_contiguous(); }

// d(a @ b): g @ b^T and a^T @ g, reduced over broadcast batch dims.
BackwardFn matmul_backward(const Dims& sa, const Dims& sb, bool b_transposed) {
    return [sa, sb, b_transposed](const Ctx& c, const Grads& g) -> Grads {
        Grads r(2);
        if (c.needs_input_grad(0)) r[0] = sum_to(matmul(g[0], mT(c.saved(1))), sa);
        if (c.needs_input_grad(1)) {
            const Tensor a = c.saved(0);
            r[1] = sb.size() == 2 && a.dim() >= 2 ? shared_rhs_grad(a, b_transposed, g[0])
                                                  : sum_to(matmul(mT(a), g[0]), sb);
        }
        return r;
    };
}

Tensor matmul_nd(const char* name, const Tensor& a, const Tensor& b, Tensor out) {
    if (!should_record({&a, &b})) return out;
    record(name, {a, b}, {out}, {requires_grad(b) ? save(a) : SavedTensor(), requires_grad(a) ? save(b) : SavedTensor()},
           matmul_backward(a.sizes(), b.sizes(), is_transposed_matrix(b)));
    return out;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
    // 1-D operands become matrices (a row, a column) through differentiable
    // views, so one N-D rule covers every case.
    if (a.dim() >= 1 && b.dim() >= 1 && (a.dim() == 1 || b.dim() == 1) && a.dim() <= 2 && b.dim() <= 2) {
        const Tensor a2 = a.dim() == 1 ? unsqueeze(a, 0) : a;
        const Tensor b2 = b.dim() == 1 ? unsqueeze(b, 1) : b;
        Tensor out = matmul(a2, b2);
        if (b.dim() == 1) out = squeeze(out, -1);
        if (a.dim() == 1) out = squeeze(out, a.dim() == 1 && b.dim() == 1 ? 0 : -2);
        return out;
    }
    if (a.dim() == 1 && b.dim() > 2) return squeeze(matmul(unsqueeze(a, 0), b), -2);
    if (b.dim() == 1 && a.dim() > 2) return squeeze(matmul(a, unsqueeze(b, 1)), -1);
    return matmul_nd("matmul", a, b, native::matmul(a, b));
}

Tensor mm(const Tensor& a, const Tensor& b) { return matmul_nd("mm", a, b, native::mm(a, b)); }
Tensor bmm(const Tensor& a, const Tensor& b) { return matmul_nd("bmm", a, b, native::bmm(a, b)); }

// ---- einsum ---------------------------------------------------------------------------
// The gradient of an operand is itself an einsum: contract the output
// gradient with the other operand down to the operand's letters. Letters that
// only the operand has (summed away in the forward) are broadcast back.

namespace {

struct Spec {
    std::vector<std::string> inputs;
    std::string output;
};

Spec parse_spec(std::string_view equation) {
    std::string eq;
    for (char ch : equation)
        if (ch != ' ') eq += ch;
    Spec s;
    const auto arrow = eq.find("->");
    const std::string lhs = eq.substr(0, arrow);
    std::size_t start = 0;
    while (true) {
        const auto comma = lhs.find(',', start);
        s.inputs.push_back(lhs.substr(start, comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    if (arrow != std::string::npos) {
        s.output = eq.substr(arrow + 2);
    } else {  // implicit output: letters used exactly once, sorted
        std::string all;
        for (const auto& in : s.inputs) all += in;
        for (char ch = 'A'; ch <= 'z'; ++ch)
            if (std::count(all.begin(), all.end(), ch) == 1) s.output += ch;
    }
    return s;
}

// The gradient of operand `k` of `spec` given the output gradient g.
Tensor einsum_operand_grad(const Spec& spec, std::size_t k, const Tensor& g, const std::vector<Tensor>& ops,
                           const Dims& shape) {
    const std::string& mine = spec.inputs[k];
    std::string available = spec.output;
    std::string lhs = spec.output;
    std::vector<Tensor> args{g};
    for (std::size_t j = 0; j < ops.size(); ++j) {
        if (j == k) continue;
        lhs += "," + spec.inputs[j];
        available += spec.inputs[j];
        args.push_back(ops[j]);
    }
    std::string reachable;  // my letters the gradient can be expressed in
    for (char ch : mine)
        if (available.find(ch) != std::string::npos && reachable.find(ch) == std::string::npos) reachable += ch;
    Tensor r = einsum(lhs + "->" + reachable, args);
    // Put back, as size-1 dims to broadcast, my letters that were summed away.
    for (std::size_t i = 0; i < mine.size(); ++i) {
        if (reachable.find(mine[i]) == std::string::npos) r = unsqueeze(r, static_cast<std::int64_t>(i));
    }
    // reachable kept my order, so r now has my letters in my order.
    return expand(r, shape);
}

}  // namespace

Tensor einsum(std::string_view equation, const std::vector<Tensor>& operands) {
    Tensor out = native::einsum(equation, operands);
    if (!should_record(operands)) return out;
    const Spec spec = parse_spec(equation);
    std::vector<SavedTensor> saved;
    std::vector<Dims> shapes;
    for (const Tensor& t : operands) {
        saved.push_back(save(t));
        shapes.push_back(t.sizes());
    }
    record("einsum", operands, {out}, std::move(saved), [spec, shapes](const Ctx& c, const Grads& g) -> Grads {
        std::vector<Tensor> ops;
        for (std::size_t i = 0; i < shapes.size(); ++i) ops.push_back(c.saved(i));
        Grads r(shapes.size());
        for (std::size_t k = 0; k < shapes.size(); ++k)
            if (c.needs_input_grad(k)) r[k] = einsum_operand_grad(spec, k, g[0], ops, shapes[k]);
        return r;
    });
    return out;
}

}  // namespace peso
