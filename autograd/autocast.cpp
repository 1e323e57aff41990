#include "autograd/autocast.h"

#include "core/error.h"

namespace peso {

namespace {

thread_local std::optional<DType> active;

}  // namespace

autocast::autocast(DType dtype, bool enabled) : previous_(active) {
    PESO_CHECK(dtype == DType::bf16, DTypeError, "autocast: only bfloat16 is supported, got {}", dtype);
    active = enabled ? std::optional<DType>(dtype) : std::nullopt;
}

autocast::~autocast() { active = previous_; }

std::optional<DType> autocast_dtype() { return active; }

}  // namespace peso
