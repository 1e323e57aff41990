#pragma once
// Mixed precision: inside a peso::autocast scope, matrix products (matmul,
// mm, bmm, and so nn::functional::linear and composite attention's two
// products; the fused attention op has no bf16 kernel and stays float32) of
// float32 operands run in bfloat16: both operands are rounded to bf16, the
// product accumulates in float32 and is returned in float32. Everything else
// (softmax, layer_norm, losses, reductions, the optimizer) runs on float32 as
// it would outside the scope, the parameters stay float32 ("master weights")
// and so do their gradients; the backward products run in bf16 too (on the
// bf16 operands saved by the forward and the incoming gradient rounded to
// bf16). The scope is per thread, like torch.autocast.
//
// Unlike torch.autocast, whose products return bfloat16, the products return
// float32: the GEMM accumulates in float32 anyway, and a float32 result keeps
// every following op in float32 with no extra rounding.
#include <optional>

#include "core/dtype.h"

namespace peso {

/// RAII scope: `peso::autocast guard(DType::bf16);` — matrix products of
/// float32 tensors run in `dtype` on this thread until the guard dies
/// (enabled = false: a scope with autocast off, e.g. inside another).
class autocast {
public:
    explicit autocast(DType dtype = DType::bf16, bool enabled = true);
    ~autocast();
    autocast(const autocast&) = delete;
    autocast& operator=(const autocast&) = delete;

private:
    std::optional<DType> previous_;
};

/// The dtype matrix products run in on this thread (none: no autocast).
std::optional<DType> autocast_dtype();

}  // namespace peso
