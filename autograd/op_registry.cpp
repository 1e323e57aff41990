#include "autograd/op_registry.h"

#include <unordered_set>

namespace peso::autograd {

const std::vector<OpInfo>& differentiable_ops() {
    static const std::vector<OpInfo> ops = {
        // copies, conversions, fills
        {"contiguous", true}, {"clone", true}, {"to_dtype", true}, {"to_device", true}, {"copy_", true},
        {"fill_", true}, {"zero_", true}, {"uniform_", false}, {"normal_", false},
        // views
        {"view", true}, {"reshape", true}, {"permute", true}, {"transpose", true}, {"narrow", true}, {"slice", true},
        {"select", true}, {"diagonal", true}, {"as_strided", true}, {"expand", true}, {"squeeze", true},
        {"unsqueeze", true}, {"flatten", true}, {"unflatten", true},
        // elementwise
        {"neg", true}, {"abs", true}, {"exp", true}, {"log", true}, {"log1p", true}, {"sqrt", true}, {"rsqrt", true},
        {"sin", true}, {"cos", true}, {"tanh", true}, {"sigmoid", true}, {"relu", true}, {"gelu", true},
        {"gelu_tanh", true}, {"erf", true}, {"reciprocal", true}, {"sign", true}, {"floor", true}, {"ceil", true},
        {"round", true}, {"pow_scalar", true}, {"clamp", true}, {"add", true}, {"sub", true}, {"mul", true},
        {"div", true}, {"pow", true}, {"maximum", true}, {"minimum", true}, {"remainder", true}, {"where", true},
        {"masked_fill", true},
        // reductions
        {"sum", true}, {"mean", true}, {"prod", true}, {"var", true}, {"std", true}, {"amax", true}, {"amin", true},
        {"max", true}, {"min", true}, {"logsumexp", true},
        // linear algebra
        {"matmul", true}, {"mm", true}, {"bmm", true}, {"einsum", true},
        // normalization
        {"softmax", true}, {"log_softmax", true}, {"layer_norm", true}, {"cross_entropy", true},
        // indexing
        {"embedding", true}, {"index_select", true}, {"gather", true}, {"scatter", true}, {"scatter_add", true},
        {"index_add", true},
        // joining, ordering
        {"cat", true}, {"tril", true}, {"triu", true}, {"sort", true}, {"topk", true}, {"cumsum", true},
    };
    return ops;
}

bool is_registered_op(std::string_view name) {
    static const std::unordered_set<std::string_view> names = [] {
        std::unordered_set<std::string_view> s;
        for (const OpInfo& op : differentiable_ops()) s.insert(op.name);
        return s;
    }();
    return names.count(name) > 0;
}

}  // namespace peso::autograd
