#pragma once
// Every differentiable op, by the name its graph nodes carry. record()
// refuses names missing here, and the gradcheck suite fails for any op here
// without a gradcheck case: a new op cannot slip in untested.
#include <string_view>
#include <vector>

namespace peso::autograd {

struct OpInfo {
    std::string_view name;
    bool twice_differentiable;  // gradgradcheck runs for it
};

const std::vector<OpInfo>& differentiable_ops();
bool is_registered_op(std::string_view name);

}  // namespace peso::autograd
