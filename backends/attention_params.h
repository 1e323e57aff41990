#pragma once
// The scalars of the fused attention primitives (Backend::attention and
// Backend::attention_backward), and the dropout rule every backend applies:
// a plain struct and one inline function, so that the reference, cpu and
// CUDA kernels drop exactly the same weights.
#include <cstdint>

#include "backends/primitives.h"
#include "backends/random_fn.h"
#include "backends/tensor_arg.h"
#include "core/host_device.h"

namespace peso {

struct AttentionParams {
    double scale = 1.0;       // multiplies q . k
    bool causal = false;      // query i sees keys j <= i only (aligned top-left, as PyTorch's is_causal)
    double dropout_p = 0.0;   // probability of dropping an attention weight; 0: no dropout
    std::uint64_t seed = 0;   // the dropout mask's Philox stream: weight (b, h, i, j) of (B, H, T, S)
    std::uint64_t offset = 0; // uses counter offset + ((b * H + h) * T + i) * S + j
};

// Whether weight number `index` of the stream is kept: the test that
// nn::functional::dropout makes on a rand() tensor of the weights' dtype
// (u < 1 - p, both rounded to T), so that the fused and the composite
// attention drop the same weights for the same generator state. The mask is
// never stored: the backward regenerates it from the counter.
template <typename T>
PESO_HD inline bool attention_keeps(std::uint64_t seed, std::uint64_t index, double p) {
    return random_value<T>(RandomKind::uniform, seed, index, 0.0, 1.0) < static_cast<T>(1.0 - p);
}

// The factor a kept weight is multiplied by (none is kept when p = 1).
PESO_HD inline double attention_keep_scale(double p) { return p < 1.0 ? 1.0 / (1.0 - p) : 0.0; }

// The dropout counter of weight (bh, i, j) of the (B*H, T, S) weights.
PESO_HD inline std::uint64_t attention_counter(const AttentionParams& p, std::int64_t bh, std::int64_t i,
                                               std::int64_t j, std::int64_t T, std::int64_t S) {
    return p.offset + static_cast<std::uint64_t>((bh * T + i) * S + j);
}

// One (B, H, N, D) operand of the attention primitives: where head (b, h)
// starts and how far apart its rows are (its last dim is contiguous).
template <typename T>
struct AttentionOperand {
    T* data;
    std::int64_t batch_stride, head_stride, row_stride;
    PESO_HD T* head(std::int64_t b, std::int64_t h) const { return data + b * batch_stride + h * head_stride; }
};

template <typename T> AttentionOperand<T> attention_operand(const TensorArg& a) {
    return {a.ptr<T>(), a.strides[0], a.strides[1], a.strides[2]};
}

}  // namespace peso
