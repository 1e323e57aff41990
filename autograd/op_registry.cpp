#include "autograd/op_registry.h"

#include <unordered_map>

namespace peso::autograd {

const std::vector<OpInfo>& differentiable_ops() {
    using D = OptionDomain;
    // Domains many ops share.
    const D input{"input", {"0-d", "empty", "non-contiguous"}};
    const D input_nd{"input", {"empty", "non-contiguous"}};  // ops that need at least one dim
    const D non_contiguous{"input", {"non-contiguous"}};
    const D keepdim{"keepdim", {"false", "true"}};
    const D dims{"dim", {"all", "one", "several", "negative"}};
    const D dim{"dim", {"positive", "negative"}};
    const D broadcast{"broadcast", {"none", "lhs", "rhs", "both"}};
    const D grad_of{"requires_grad", {"both", "lhs", "rhs"}};
    const D variant{"variant", {"out-of-place", "in-place"}};
    const D dst{"dst", {"whole", "view"}};
    const D scalar{"other", {"tensor", "scalar"}};
    const D dtypes{"dtypes", {"same", "mixed"}};
    const D alpha{"alpha", {"1", "other"}};
    const D repeats{"index", {"unique", "repeated"}};
    const D correction{"correction", {"0", "1", "2"}};
    const D elements{"elements", {"several", "one"}};  // in a reduced group
    const D diagonal{"diagonal", {"zero", "positive", "negative"}};
    const D triangle_input{"input", {"batched", "empty", "non-contiguous"}};
    static const std::vector<OpInfo> ops = {
        // copies, conversions, fills
        {"contiguous", true, {{"layout", {"transposed", "sliced", "expanded"}}}},
        {"clone", true, {input}},
        {"to_dtype", true, {{"dtype", {"float32", "float64"}}, input}},
        {"to_device", true, {input}},
        {"copy_", true, {dst, {"src", {"same-shape", "broadcast", "other-dtype"}}}},
        {"fill_", true, {dst}},
        {"zero_", true, {dst}},
        {"uniform_", false, {dst}},
        {"normal_", false, {dst}},
        // views
        {"view", true, {{"size", {"explicit", "inferred"}}, input}},
        {"reshape", true,
         {{"result", {"view", "copy"}}, {"size", {"explicit", "inferred"}}, {"input", {"0-d", "empty"}}}},
        {"permute", true, {dim, {"input", {"0-d", "empty"}}}},
        {"transpose", true, {{"dim", {"positive", "negative", "same"}}, input}},
        {"narrow", true,
         {dim, {"start", {"zero", "positive", "negative"}}, {"length", {"zero", "positive"}},
          {"via", {"narrow", "split", "chunk"}}, non_contiguous}},
        {"slice", true,
         {{"step", {"1", "several"}}, {"start", {"none", "positive", "negative"}},
          {"end", {"none", "positive", "negative", "past-end"}}, non_contiguous}},
        {"select", true, {dim, {"index", {"positive", "negative"}}, non_contiguous}},
        {"diagonal", true,
         {{"offset", {"zero", "positive", "negative"}}, {"dims", {"default", "other", "negative"}}, input_nd}},
        {"as_strided", true, {{"storage_offset", {"none", "given"}}, {"windows", {"disjoint", "overlapping"}}}},
        {"expand", true, {{"shape", {"new-dims", "size-1", "keep"}}, {"input", {"0-d", "non-contiguous"}}}},
        {"squeeze", true, {{"dim", {"all", "one", "negative", "not-size-1"}}, {"input", {"0-d"}}}},
        {"unsqueeze", true, {{"dim", {"first", "last", "negative"}}, {"input", {"0-d", "empty"}}}},
        {"flatten", true, {{"dims", {"all", "range"}}, {"input", {"0-d", "non-contiguous"}}}},
        {"unflatten", true, {dim, {"sizes", {"explicit", "inferred"}}}},
        // elementwise
        {"neg", true, {input}}, {"abs", true, {input}}, {"exp", true, {input}}, {"log", true, {input}},
        {"log1p", true, {input}}, {"sqrt", true, {input}}, {"rsqrt", true, {input}}, {"sin", true, {input}},
        {"cos", true, {input}}, {"tanh", true, {input}}, {"sigmoid", true, {input}}, {"relu", true, {input}},
        {"leaky_relu", true, {{"negative_slope", {"default", "other"}}, input}},
        {"softplus", true, {{"beta", {"default", "other"}}, {"threshold", {"below", "above"}}, input}},
        {"gelu", true, {input}}, {"gelu_tanh", true, {input}}, {"erf", true, {input}}, {"reciprocal", true, {input}},
        {"sign", true, {input}}, {"floor", true, {input}}, {"ceil", true, {input}}, {"round", true, {input}},
        {"pow_scalar", true, {{"exponent", {"integer", "negative", "fractional", "zero", "one"}}, input}},
        {"clamp", true, {{"bounds", {"min", "max", "both", "min>max"}}, variant, input}},
        {"add", true, {broadcast, grad_of, scalar, alpha, dtypes, variant, input}},
        {"sub", true,
         {broadcast, grad_of, {"other", {"tensor", "scalar", "scalar-first"}}, alpha, dtypes, variant, input}},
        {"mul", true, {broadcast, grad_of, scalar, dtypes, variant, input}},
        {"div", true, {broadcast, grad_of, {"other", {"tensor", "scalar", "scalar-first"}}, dtypes, variant, input}},
        {"pow", true, {broadcast, grad_of, {"other", {"tensor", "scalar-first"}}, input}},
        {"maximum", true, {broadcast, grad_of, input}},
        {"minimum", true, {broadcast, grad_of, input}},
        {"remainder", true, {broadcast, grad_of, {"signs", {"positive", "negative"}}, input}},
        {"where", true,
         {{"broadcast", {"none", "condition", "lhs", "rhs"}}, {"other", {"tensors", "scalar-lhs", "scalar-rhs"}},
          grad_of, input}},
        {"masked_fill", true, {{"mask", {"same-shape", "broadcast"}}, variant, input}},
        // reductions
        {"sum", true, {dims, keepdim, input}},
        {"mean", true, {dims, keepdim, input}},
        {"prod", true, {dims, keepdim, {"zeros", {"none", "one", "two"}}, input}},
        {"var", true, {dims, keepdim, correction, elements, non_contiguous}},
        {"std", true, {dims, keepdim, correction, elements, non_contiguous}},
        {"amax", true, {dims, keepdim, input}},
        {"amin", true, {dims, keepdim, input}},
        {"max", true, {dim, keepdim, input}},
        {"min", true, {dim, keepdim, input}},
        {"logsumexp", true, {dims, keepdim, input}},
        // linear algebra
        {"matmul", true,
         {{"ranks", {"vector-vector", "vector-matrix", "matrix-vector", "matrix-matrix", "batched-matrix",
                     "batched-vector", "vector-batched", "batched-batched", "broadcast-batch"}},
          input_nd}},
        {"mm", true, {{"inner", {"positive", "zero"}}, input_nd}},
        {"bmm", true, {{"batch", {"one", "several"}}, input_nd}},
        {"einsum", true,
         {{"equation", {"contraction", "batch", "outer", "reduction", "permutation", "repeated", "ellipsis", "implicit",
                        "three-operands"}},
          input_nd}},
        // normalization
        {"softmax", true, {{"dim", {"first", "middle", "last", "negative"}}, input}},
        {"log_softmax", true, {{"dim", {"first", "middle", "last", "negative"}}, input}},
        {"layer_norm", true,
         {{"affine", {"weight-bias", "weight", "bias", "none"}}, {"normalized_shape", {"last", "last-two"}},
          non_contiguous}},
        {"cross_entropy_rows", true, {{"valid", {"all", "some", "none"}}, non_contiguous}},
        {"fused_attention", true,
         {{"mask", {"none", "causal"}}, {"shape", {"T=S", "T<S", "T>S", "T=1", "broadcast"}},
          {"dropout", {"none", "some"}}, non_contiguous}},
        // indexing
        {"embedding", true, {{"indices", {"0-d", "1-d", "2-d"}}, repeats, non_contiguous}},
        {"index_select", true, {dim, {"index", {"unique", "repeated", "empty", "0-d"}}, input}},
        {"gather", true, {dim, {"index", {"same-shape", "smaller", "repeated"}}, input}},
        {"scatter", true, {dim, {"src", {"tensor", "scalar"}}, variant, input_nd}},
        {"scatter_add", true, {dim, repeats, variant, input_nd}},
        {"index_add", true, {dim, repeats, alpha, variant, input_nd}},
        // joining, ordering
        {"cat", true,
         {{"dim", {"first", "last", "negative"}}, {"tensors", {"one", "several", "with-empty"}},
          {"via", {"cat", "stack"}}, {"input", {"0-d", "non-contiguous"}}}},
        {"tril", true, {diagonal, triangle_input}},
        {"triu", true, {diagonal, triangle_input}},
        {"sort", true, {{"descending", {"false", "true"}}, dim, input}},
        {"topk", true,
         {{"largest", {"true", "false"}}, {"sorted", {"true", "false"}}, {"k", {"zero", "one", "several", "all"}}, dim,
          non_contiguous}},
        {"cumsum", true, {dim, input}},
    };
    return ops;
}

const OpInfo* find_op(std::string_view name) {
    static const std::unordered_map<std::string_view, const OpInfo*> by_name = [] {
        std::unordered_map<std::string_view, const OpInfo*> m;
        for (const OpInfo& op : differentiable_ops()) m.emplace(op.name, &op);
        return m;
    }();
    const auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : it->second;
}

bool is_registered_op(std::string_view name) { return find_op(name) != nullptr; }

// ---- RecordedOps -------------------------------------------------------------------

namespace {
thread_local RecordedOps* innermost = nullptr;
}  // namespace

RecordedOps::RecordedOps() : outer_(innermost) { innermost = this; }
RecordedOps::~RecordedOps() { innermost = outer_; }

void RecordedOps::note(std::string_view op) {
    for (RecordedOps* s = innermost; s; s = s->outer_)
        if (s->names_.find(op) == s->names_.end()) s->names_.emplace(op);
}

}  // namespace peso::autograd
