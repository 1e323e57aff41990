#pragma once
// gradcheck / gradgradcheck, as torch.autograd.gradcheck: the analytic
// Jacobian (one vector-Jacobian product per output element) is compared with
// central finite differences, element by element, in float64.
#include <functional>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace peso::autograd {

/// Tolerances and behaviour of gradcheck() and gradgradcheck().
struct GradcheckOptions {
    double eps = 1e-6;   ///< finite-difference step
    double atol = 1e-5;  ///< |analytic - numeric| <= atol + rtol * |numeric|
    double rtol = 1e-3;  ///< relative tolerance (see atol)
    bool raise = false;  ///< throw peso::Error with the report on failure
};

/// What gradcheck() found.
struct GradcheckResult {
    bool ok = true;              ///< every element within tolerance
    double max_abs_error = 0.0;  ///< the largest |analytic - numeric|
    double max_rel_error = 0.0;  ///< the largest |analytic - numeric| / |numeric|
    std::string report;  ///< on failure: the worst element, its index, analytic and numeric values
};

/// The function checked: tensors in, tensors out.
using GradcheckFn = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;

/// Checks the gradients of fn with respect to every input that requires grad.
/// Inputs must be float64 CPU tensors without overlapping elements.
GradcheckResult gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, GradcheckOptions opts = {});

/// Checks second derivatives: gradcheck of the function that maps (inputs,
/// output gradients) to the input gradients computed with create_graph.
GradcheckResult gradgradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, GradcheckOptions opts = {},
                              std::uint64_t seed = 0);

}  // namespace peso::autograd
