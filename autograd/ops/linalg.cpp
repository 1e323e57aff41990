// Matrix products and einsum, and their derivatives.
#include <string>

#include "autograd/autocast.h"
#include "autograd/ops/common.h"
#include "tensor/mixed_precision.h"

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
    // The row count is spelled out: with K or N of 0, -1 would be ambiguous.
    std::int64_t rows = 1;
    for (std::int64_t d = 0; d + 1 < a.dim(); ++d) rows *= a.size(d);
    const Tensor a2 = a.reshape({rows, a.size(-1)});
    const Tensor g2 = g.reshape({rows, g.size(-1)});
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

// ---- autocast (autocast.h): the product in bf16 with a float32 result ----

// Whether a product of a and b runs in bf16 under the thread's autocast scope:
// float32 operands (a bf16 one is taken as it is) on the cpu.
bool autocasts(const Tensor& a, const Tensor& b) {
    if (!autocast_dtype()) return false;
    const auto castable = [](const Tensor& t) { return t.dtype() == DType::f32 || t.dtype() == DType::bf16; };
    return castable(a) && castable(b) && (a.dtype() == DType::f32 || b.dtype() == DType::f32) && a.device().is_cpu() &&
           b.device().is_cpu();
}

// t in bf16, keeping a transposed matrix transposed (a Linear's weight.t()
// converts as the contiguous weight it is and reaches the GEMM as a flag).
Tensor to_bf16(const Tensor& t) {
    if (t.dtype() == DType::bf16) return t;
    if (is_transposed_matrix(t)) return mT(native::to_dtype(mT(t), DType::bf16));
    return native::to_dtype(t, DType::bf16);
}

// The operands' gradients: g rounded to bf16, both products accumulated in
// float32 (float32 gradients for the float32 operands).
BackwardFn autocast_matmul_backward(const Dims& sa, const Dims& sb, bool b_transposed) {
    return [sa, sb, b_transposed](const Ctx& c, const Grads& g) -> Grads {
        Grads r(2);
        const Tensor g16 = to_bf16(g[0]);
        if (c.needs_input_grad(0)) r[0] = sum_to(native::matmul_as(g16, mT(c.saved(1)), DType::f32), sa);
        if (c.needs_input_grad(1)) {
            const Tensor a16 = c.saved(0);
            if (sb.size() == 2 && a16.dim() >= 2) {  // b shared by a's batch: one GEMM over all rows (as above)
                std::int64_t rows = 1;
                for (std::int64_t d = 0; d + 1 < a16.dim(); ++d) rows *= a16.size(d);
                const Tensor a2 = a16.reshape({rows, a16.size(-1)}), g2 = g16.reshape({rows, g16.size(-1)});
                r[1] = b_transposed ? mT(native::matmul_as(mT(g2), a2, DType::f32))
                                    : native::matmul_as(mT(a2), g2, DType::f32);
            } else {
                r[1] = sum_to(native::matmul_as(mT(a16), g16, DType::f32), sb);
            }
        }
        return r;
    };
}

Tensor autocast_matmul(const char* name, const Tensor& a, const Tensor& b) {
    const Tensor a16 = to_bf16(a), b16 = to_bf16(b);
    Tensor out = native::matmul_as(a16, b16, DType::f32);
    if (!should_record({&a, &b})) return out;
    record(name, {a, b}, {out},
           {requires_grad(b) ? save(a16) : SavedTensor(), requires_grad(a) ? save(b16) : SavedTensor()},
           autocast_matmul_backward(a.sizes(), b.sizes(), is_transposed_matrix(b)));
    return out;
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
    if (autocasts(a, b)) return autocast_matmul("matmul", a, b);
    return matmul_nd("matmul", a, b, native::matmul(a, b));
}

Tensor mm(const Tensor& a, const Tensor& b) {
    if (autocasts(a, b) && a.dim() == 2 && b.dim() == 2) return autocast_matmul("mm", a, b);
    return matmul_nd("mm", a, b, native::mm(a, b));
}
Tensor bmm(const Tensor& a, const Tensor& b) {
    if (autocasts(a, b) && a.dim() == 3 && b.dim() == 3 && a.size(0) == b.size(0)) return autocast_matmul("bmm", a, b);
    return matmul_nd("bmm", a, b, native::bmm(a, b));
}

// ---- einsum ---------------------------------------------------------------------------
// The gradient of an operand is itself an einsum: contract the output
// gradient with the other operands down to the operand's distinct letters.
// Then three corrections give it the operand's shape: letters only the
// operand has (summed away in the forward) are broadcast back; letters the
// operand held at size 1 while others broadcast them are summed back to 1;
// and a letter the operand repeats ("ii") puts the gradient on that diagonal,
// zeros elsewhere. The tensor layer's explicit form of the equation (one
// letter per dim, "..." spelled out) is what is differentiated.

namespace {

std::string distinct_letters(const std::string& term) {
    std::string out;
    for (const char ch : term)
        if (out.find(ch) == std::string::npos) out += ch;
    return out;
}

// The gradient of operand k, given the output gradient g.
Tensor einsum_operand_grad(const native::EinsumLabels& eq, std::size_t k, const Tensor& g,
                           const std::vector<Tensor>& ops) {
    const std::string& mine = eq.inputs[k];
    const Tensor& operand = ops[k];
    std::string lhs = eq.output, available = eq.output;
    std::vector<Tensor> args{g};
    for (std::size_t j = 0; j < ops.size(); ++j) {
        if (j == k) continue;
        lhs += "," + eq.inputs[j];
        available += eq.inputs[j];
        args.push_back(ops[j]);
    }
    const std::string letters = distinct_letters(mine);
    Dims sizes;  // the operand's size for each of its distinct letters
    for (const char ch : letters) sizes.push_back(operand.size(static_cast<std::int64_t>(mine.find(ch))));
    std::string reachable;
    for (const char ch : letters)
        if (available.find(ch) != std::string::npos) reachable += ch;
    Tensor r = einsum(lhs + "->" + reachable, args);
    Dims broadcast_back;
    for (std::size_t i = 0; i < reachable.size(); ++i)
        if (sizes[static_cast<int>(letters.find(reachable[i]))] == 1 && r.size(static_cast<std::int64_t>(i)) != 1)
            broadcast_back.push_back(static_cast<std::int64_t>(i));
    if (!broadcast_back.empty()) r = sum(r, broadcast_back, /*keepdim=*/true);
    for (std::size_t i = 0; i < letters.size(); ++i)
        if (reachable.find(letters[i]) == std::string::npos) r = unsqueeze(r, static_cast<std::int64_t>(i));
    r = expand(r, sizes);  // now one dim per distinct letter, in the operand's order
    if (letters.size() == mine.size()) return r;
    Tensor full = native::zeros(operand.sizes(), TensorOptions(g.dtype()).device(g.device()));
    Dims strides = Dims::filled(static_cast<int>(letters.size()), 0);
    for (std::size_t d = 0; d < mine.size(); ++d)
        strides[static_cast<int>(letters.find(mine[d]))] += full.stride(static_cast<std::int64_t>(d));
    Tensor diagonal_part = full.as_strided(sizes, strides, 0);
    diagonal_part.copy_(r);
    return full;
}

}  // namespace

Tensor einsum(std::string_view equation, const std::vector<Tensor>& operands) {
    Tensor out = native::einsum(equation, operands);
    if (!should_record(operands)) return out;
    const native::EinsumLabels eq = native::einsum_labels(equation, operands);
    std::vector<SavedTensor> saved;
    for (const Tensor& t : operands) saved.push_back(save(t));
    const std::size_t n = operands.size();
    record("einsum", operands, {out}, std::move(saved), [eq, n](const Ctx& c, const Grads& g) -> Grads {
        std::vector<Tensor> ops;
        for (std::size_t i = 0; i < n; ++i) ops.push_back(c.saved(i));
        Grads r(n);
        for (std::size_t k = 0; k < n; ++k)
            if (c.needs_input_grad(k)) r[k] = einsum_operand_grad(eq, k, g[0], ops);
        return r;
    });
    return out;
}

}  // namespace peso
