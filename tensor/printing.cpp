// Placeholder printing.
#include <ostream>

#include "tensor/tensor.h"

namespace peso {
std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << "tensor(shape=" << t.sizes().str() << ")"; }
}  // namespace peso
