#pragma once
// Everything a peso user needs: #include "peso.h".
#include "autograd/checkpoint.h"
#include "autograd/engine.h"
#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "autograd/gradcheck.h"
#include "backends/registry.h"
#include "tensor/functions.h"
#include "tensor/tensor.h"
