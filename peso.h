#pragma once
/// @file
/// Everything a peso user needs: `#include <peso/peso.h>` (installed) or
/// `#include "peso.h"` (in this repository): tensors and their functions,
/// autograd, the backend registry and the version.

/// peso: tensors (peso::Tensor and the free functions on them), their dtypes
/// and devices, and the errors every op throws.
namespace peso {
/// Reverse-mode automatic differentiation: the engine, grad modes, gradcheck.
namespace autograd {}
}  // namespace peso

#include "autograd/checkpoint.h"
#include "autograd/engine.h"
#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "autograd/gradcheck.h"
#include "backends/registry.h"
#include "core/version.h"
#include "tensor/functions.h"
#include "tensor/tensor.h"
