// The fused attention's front-ends: argument checks, broadcasting of the
// leading dims, and the backend calls on 4-D (B, H, rows, dim) views. Outputs
// are allocated in (B, rows, H, dim) memory order and returned as (B, H, rows,
// dim) views: a multi-head caller's transpose back to (B, rows, H * dim) is
// then a view, not a copy.
#include "backends/registry.h"
#include "tensor/broadcast.h"
#include "tensor/native.h"

namespace peso::native {

namespace {

void check_inputs(const char* op, const Tensor& q, const Tensor& k, const Tensor& v) {
    PESO_CHECK(q.defined() && k.defined() && v.defined(), ValueError, "{}: undefined query, key or value", op);
    PESO_CHECK(q.dim() >= 2 && k.dim() >= 2 && v.dim() >= 2, ShapeError,
               "{}: query, key and value need at least 2 dims, got {}, {} and {}", op, q.sizes(), k.sizes(), v.sizes());
    PESO_CHECK(q.size(-1) == k.size(-1) && k.size(-2) == v.size(-2), ShapeError,
               "{}: query {}, key {} and value {} do not fit (..., T, E), (..., S, E), (..., S, Ev)", op, q.sizes(),
               k.sizes(), v.sizes());
    PESO_CHECK(is_floating(q.dtype()) && k.dtype() == q.dtype() && v.dtype() == q.dtype(), DTypeError,
               "{}: query, key and value must share one floating dtype, got {}, {} and {}", op, q.dtype(), k.dtype(),
               v.dtype());
    PESO_CHECK(k.device() == q.device() && v.device() == q.device(), DeviceError,
               "{}: query, key and value are on {}, {} and {}", op, q.device(), k.device(), v.device());
    PESO_CHECK(k.size(-2) > 0 && q.size(-1) > 0, ShapeError,
               "{}: query {} and key {} leave no key to attend to (S or E is 0)", op, q.sizes(), k.sizes());
}

Dims leading(const Tensor& t) {
    const Dims& s = t.sizes();
    return Dims(std::vector<std::int64_t>(s.begin(), s.end() - 2));
}

Dims leading_shape(const Tensor& q, const Tensor& k, const Tensor& v) {
    const char* op = "attention";
    return broadcast_shapes(broadcast_shapes(leading(q), leading(k), op), leading(v), op);
}

Dims with_rows(Dims lead, std::int64_t rows, std::int64_t cols) {
    lead.push_back(rows);
    if (cols >= 0) lead.push_back(cols);
    return lead;
}

// The (B, H) the kernels see for these leading dims: the last one is H, the
// others merge into B.
std::pair<std::int64_t, std::int64_t> batch_heads(const Dims& lead) {
    if (lead.size() == 0) return {1, 1};
    const std::int64_t h = lead[lead.size() - 1];
    return {h == 0 ? 0 : lead.product() / h, h};
}

// t broadcast to lead + its last two dims, as a (B, H, rows, cols) tensor
// whose last dim is contiguous.
Tensor as_4d(const Tensor& t, const Dims& lead) {
    const auto [b, h] = batch_heads(lead);
    Tensor x = reshape(expand(t, with_rows(lead, t.size(-2), t.size(-1))), {b, h, t.size(-2), t.size(-1)});
    if (x.size(3) > 1 && x.stride(3) != 1) x = contiguous(x);
    return x;
}

// A new (B, H, rows, cols) tensor laid out as (B, rows, H, cols).
Tensor heads_output(std::int64_t b, std::int64_t h, std::int64_t rows, std::int64_t cols, const TensorOptions& o) {
    return transpose(empty({b, rows, h, cols}, o), 1, 2);
}

}  // namespace

std::int64_t attention_weight_count(const Tensor& q, const Tensor& k, const Tensor& v) {
    check_inputs("attention", q, k, v);
    return leading_shape(q, k, v).product() * q.size(-2) * k.size(-2);
}

std::tuple<Tensor, Tensor> attention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionParams& p) {
    check_inputs("attention", q, k, v);
    PESO_CHECK(p.dropout_p >= 0.0 && p.dropout_p <= 1.0, ValueError, "attention: dropout_p must be in [0, 1], got {}",
               p.dropout_p);
    const Dims lead = leading_shape(q, k, v);
    const auto [b, h] = batch_heads(lead);
    const std::int64_t T = q.size(-2), Ev = v.size(-1);
    Tensor out = heads_output(b, h, T, Ev, q.options());
    Tensor lse = empty({b, h, T}, q.options());
    if (out.numel() > 0) {
        const Tensor q4 = as_4d(q, lead), k4 = as_4d(k, lead), v4 = as_4d(v, lead);
        backend_for(q.device()).attention(out.arg(), lse.arg(), q4.arg(), k4.arg(), v4.arg(), p);
    }
    return {reshape(out, with_rows(lead, T, Ev)), reshape(lse, with_rows(lead, T, -1))};
}

std::tuple<Tensor, Tensor, Tensor> attention_backward(const Tensor& grad, const Tensor& q, const Tensor& k,
                                                      const Tensor& v, const Tensor& out, const Tensor& lse,
                                                      const AttentionParams& p) {
    check_inputs("attention_backward", q, k, v);
    const Dims lead = leading_shape(q, k, v);
    const std::int64_t T = q.size(-2), S = k.size(-2), E = q.size(-1), Ev = v.size(-1);
    PESO_CHECK(grad.defined() && out.defined() && lse.defined() && grad.sizes() == with_rows(lead, T, Ev) &&
                   out.sizes() == grad.sizes() && lse.sizes() == with_rows(lead, T, -1),
               ShapeError, "attention_backward: grad and out must be {} and lse {}", with_rows(lead, T, Ev),
               with_rows(lead, T, -1));
    const auto [b, h] = batch_heads(lead);
    Tensor dq = heads_output(b, h, T, E, q.options()), dk = heads_output(b, h, S, E, q.options()),
           dv = heads_output(b, h, S, Ev, q.options());
    if (dq.numel() > 0) {
        const Tensor q4 = as_4d(q, lead), k4 = as_4d(k, lead), v4 = as_4d(v, lead);
        const Tensor g4 = as_4d(grad, lead), o4 = as_4d(out, lead);
        const Tensor l3 = contiguous(reshape(lse, {b, h, T}));
        backend_for(q.device()).attention_backward(dq.arg(), dk.arg(), dv.arg(), g4.arg(), q4.arg(), k4.arg(),
                                                   v4.arg(), o4.arg(), l3.arg(), p);
    }
    return {reshape(dq, with_rows(lead, T, E)), reshape(dk, with_rows(lead, S, E)),
            reshape(dv, with_rows(lead, S, Ev))};
}

}  // namespace peso::native
