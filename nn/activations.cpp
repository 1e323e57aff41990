#include "nn/activations.h"

namespace peso::nn {

GELU::GELU(std::string approximate) : approximate_(std::move(approximate)) {
    PESO_CHECK(approximate_ == "none" || approximate_ == "tanh", ValueError,
               "GELU: approximate must be 'none' or 'tanh', got '{}'", approximate_);
}

}  // namespace peso::nn
