// The op manifest (tensor/differentiable_ops.def) and the op registry
// (autograd/op_registry.cpp) agree: every differentiable signature records
// its graph node under a registered name, and every registered name belongs
// to a signature. Where the two names differ (an in-place op recorded as its
// out-of-place form, a view op recorded as the view it makes, a registry row
// for one variant of an op), the mapping is listed here and checked by
// running the op.
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>

#include "autograd/op_registry.h"
#include "peso.h"

using namespace peso;

namespace {

std::set<std::string> manifest_names() {
    std::set<std::string> names;
#define PESO_OP(name, params, ...) names.insert(#name);
#include "tensor/differentiable_ops.def"
#undef PESO_OP
    return names;
}

// Signatures whose nodes carry another op's name.
const std::map<std::string, std::string> kRecordedAs = {
    {"chunk", "narrow"},           {"split", "narrow"},           {"stack", "cat"},
    {"index_add_", "index_add"},   {"masked_fill_", "masked_fill"}, {"scatter_", "scatter"},
    {"scatter_add_", "scatter_add"},
};

// Registry rows for one variant of a manifest op.
const std::map<std::string, std::string> kVariantOf = {{"gelu_tanh", "gelu"}, {"pow_scalar", "pow"}};

// Differentiable ops declared by hand in autograd/functions.h, because their
// tensor-layer form has another signature (cross_entropy_rows's returns the
// rows' log-sum-exp too, which its backward reuses; native::attention the
// queries' log-sum-exp, and it takes the dropout's reserved counters).
const std::set<std::string> kDeclaredApart = {"cross_entropy_rows", "fused_attention"};

// The node names `fn` records on a leaf that requires grad.
template <typename Fn> std::set<std::string> recorded_by(Fn&& fn) {
    autograd::RecordedOps recorded;
    fn(randn({4, 6}).requires_grad_(), randn({4, 6}).requires_grad_());
    return {recorded.names().begin(), recorded.names().end()};
}

}  // namespace

TEST_CASE("op manifest: every differentiable signature records under a registered name") {
    const std::set<std::string> names = manifest_names();
    CHECK(names.size() > 80);
    for (const std::string& name : names) {
        const auto alias = kRecordedAs.find(name);
        const std::string recorded = alias == kRecordedAs.end() ? name : alias->second;
        CHECK_MESSAGE(autograd::is_registered_op(recorded), name, " records '", recorded,
                      "', which autograd/op_registry.cpp does not list");
    }
}

TEST_CASE("op manifest: every registered op belongs to a signature of the manifest") {
    const std::set<std::string> names = manifest_names();
    for (const autograd::OpInfo& op : autograd::differentiable_ops()) {
        const std::string name(op.name);
        const auto variant = kVariantOf.find(name);
        const std::string owner = variant == kVariantOf.end() ? name : variant->second;
        const bool declared = names.count(owner) == 1 || kDeclaredApart.count(owner) == 1;
        CHECK_MESSAGE(declared, "registry row '", name, "' matches no op of differentiable_ops.def");
    }
}

TEST_CASE("op manifest: the listed aliases are the names the ops really record") {
    using Set = std::set<std::string>;
    const Tensor index = tensor({0.f, 2.f}).to(DType::i64);
    CHECK(recorded_by([](Tensor a, Tensor) { chunk(a, 2, 1); }) == Set{"narrow"});
    CHECK(recorded_by([](Tensor a, Tensor) { split(a, 3, 1); }) == Set{"narrow"});
    CHECK(recorded_by([](Tensor a, Tensor b) { stack({a, b}); }).count("cat") == 1);
    CHECK(recorded_by([&](Tensor a, Tensor b) {
              clone(a).index_add_(0, index, b.narrow(0, 0, 2));
          }).count("index_add") == 1);
    CHECK(recorded_by([](Tensor a, Tensor) { clone(a).masked_fill_(gt(a.detach(), 0.0), 1.0); }).count(
              "masked_fill") == 1);
    const Tensor where_to = zeros({4, 6}, DType::i64);
    CHECK(recorded_by([&](Tensor a, Tensor b) {
              Tensor c = clone(a);
              scatter_(c, 0, where_to, b);
          }).count("scatter") == 1);
    CHECK(recorded_by([&](Tensor a, Tensor b) {
              Tensor c = clone(a);
              scatter_add_(c, 0, where_to, b);
          }).count("scatter_add") == 1);
    CHECK(recorded_by([](Tensor a, Tensor) { gelu(a, "tanh"); }) == Set{"gelu_tanh"});
    CHECK(recorded_by([](Tensor a, Tensor) { pow(a, 3); }) == Set{"pow_scalar"});
    const Tensor target = zeros({4}, DType::i64), valid = ones({4}, DType::b8);
    CHECK(recorded_by([&](Tensor a, Tensor) { cross_entropy_rows(a, target, valid); }) == Set{"cross_entropy_rows"});
    CHECK(recorded_by([](Tensor a, Tensor b) { fused_attention(a, b, b, true, 0.5); }) == Set{"fused_attention"});
}
