#pragma once
// Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_.
#include <limits>
#include <vector>

#include "tensor/tensor.h"

namespace peso::nn {

inline constexpr double kInfNorm = std::numeric_limits<double>::infinity();

// The norm of all gradients together (parameters without a gradient are
// skipped), as if concatenated into one vector: norm_type > 0, or kInfNorm
// for the largest absolute value. Accumulated in double.
double grad_norm(const std::vector<Tensor>& params, double norm_type = 2.0);

// Scales every gradient in place by min(1, max_norm / (total_norm + 1e-6))
// and returns total_norm (0 when no parameter has a gradient). With
// error_if_nonfinite a NaN or infinite total norm throws ValueError before
// any gradient changes; otherwise the gradients get the NaN/inf-derived
// coefficient, as in PyTorch. PyTorch returns the norm as a tensor of the
// gradients' dtype; here it is a double.
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);

// The same, with the total norm left where the gradients are, as a 0-d
// float64 tensor: on a GPU nothing is read on the host (the multiplication by
// the coefficient always runs, as in PyTorch), so the CPU can queue the
// optimizer step while the device still works. error_if_nonfinite needs the
// norm on the host and reads it. Gradients on several devices are summed on
// the first one's.
Tensor clip_grad_norm_tensor_(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0,
                              bool error_if_nonfinite = false);

// Clamps every gradient in place to [-clip_value, clip_value].
void clip_grad_value_(const std::vector<Tensor>& params, double clip_value);

}  // namespace peso::nn
