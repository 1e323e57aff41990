#pragma once
// Everything a peso user needs: #include "peso.h".
#include "backends/registry.h"
#include "tensor/functions.h"
#include "tensor/tensor.h"
