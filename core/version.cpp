// peso::version(): the version this library was built as (core/version.h.in).
#include "core/version.h"

namespace peso {

const char* version() noexcept { return PESO_VERSION_STRING; }

}  // namespace peso
