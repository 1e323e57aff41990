// The Module base: names, registration order, shared parameters, modes,
// freezing, conversion, state dicts and printing.
#include <doctest/doctest.h>

#include <sstream>

#include "nn/activations.h"
#include "nn/containers.h"
#include "nn/dropout.h"
#include "nn/embedding.h"
#include "nn/layer_norm.h"
#include "nn/linear.h"
#include "nn/module.h"

using namespace peso;
using namespace peso::nn;

namespace {

std::vector<std::string> names(const NamedTensors& nt) {
    std::vector<std::string> out;
    for (const auto& [n, t] : nt) out.push_back(n);
    return out;
}

// A small two-level model: embedding -> block(linear, norm) -> head tied to the embedding.
struct Block : Module {
    std::shared_ptr<Linear> fc;
    std::shared_ptr<LayerNorm> ln;
    std::shared_ptr<Dropout> drop;
    Block() {
        fc = register_module("fc", std::make_shared<Linear>(4, 4));
        ln = register_module("ln", std::make_shared<LayerNorm>(4));
        drop = register_module("drop", std::make_shared<Dropout>(0.5));
        register_buffer("counter", zeros({1}));
        register_buffer("scratch", zeros({2}), /*persistent=*/false);
    }
    std::string type_name() const override { return "Block"; }
};

struct TinyLM : Module {
    std::shared_ptr<Embedding> wte;
    std::shared_ptr<ModuleList<Block>> blocks;
    std::shared_ptr<Linear> head;
    TinyLM() {
        wte = register_module("wte", std::make_shared<Embedding>(10, 4));
        blocks = register_module("blocks", std::make_shared<ModuleList<Block>>());
        blocks->push_back(std::make_shared<Block>());
        blocks->push_back(std::make_shared<Block>());
        head = register_module("head", std::make_shared<Linear>(4, 10, false));
        head->tie_weight(wte->weight);
    }
    std::string type_name() const override { return "TinyLM"; }
};

}  // namespace

TEST_CASE("named_parameters: dotted names in registration order, shared parameters listed once") {
    auto model = std::make_shared<TinyLM>();  // named_modules needs a shared_ptr root
    TinyLM& m = *model;
    const std::vector<std::string> expected{
        "wte.weight",           "blocks.0.fc.weight", "blocks.0.fc.bias", "blocks.0.ln.weight", "blocks.0.ln.bias",
        "blocks.1.fc.weight",   "blocks.1.fc.bias",   "blocks.1.ln.weight", "blocks.1.ln.bias"};
    CHECK(names(m.named_parameters()) == expected);
    CHECK(m.parameters().size() == expected.size());
    // The tied head weight is the embedding's tensor, counted once.
    CHECK(m.head->weight.is_same(m.wte->weight));
    CHECK(m.num_parameters() == 10 * 4 + 2 * (16 + 4 + 4 + 4));
    // state_dict keeps both names, as PyTorch's does, followed by persistent buffers only.
    const std::vector<std::string> sd = names(m.state_dict());
    CHECK(std::find(sd.begin(), sd.end(), "head.weight") != sd.end());
    CHECK(std::find(sd.begin(), sd.end(), "blocks.0.counter") != sd.end());
    CHECK(std::find(sd.begin(), sd.end(), "blocks.0.scratch") == sd.end());
    CHECK(names(m.named_buffers()) ==
          std::vector<std::string>{"blocks.0.counter", "blocks.0.scratch", "blocks.1.counter", "blocks.1.scratch"});
    CHECK(names(m.named_parameters(false)).empty());
    CHECK(names(m.blocks->child("0")->named_parameters(false)).empty());
    CHECK(names(m.blocks->child("0")->child("fc")->named_parameters(false)) ==
          std::vector<std::string>{"weight", "bias"});
    CHECK(m.parameter("blocks.1.ln.bias").is_same(m.blocks->operator[](1)->ln->bias));
    CHECK_THROWS_AS(m.parameter("blocks.7.ln.bias"), ValueError);

    std::vector<std::string> modules;
    for (const auto& [n, mod] : m.named_modules()) modules.push_back(n);
    CHECK(modules == std::vector<std::string>{"", "wte", "blocks", "blocks.0", "blocks.0.fc", "blocks.0.ln",
                                              "blocks.0.drop", "blocks.1", "blocks.1.fc", "blocks.1.ln",
                                              "blocks.1.drop", "head"});
}

TEST_CASE("gradients reach a tied weight from both uses") {
    TinyLM m;
    const Tensor idx = from_vector<std::int64_t>({1, 2, 3}, Dims{3});
    const Tensor logits = m.head->forward(m.wte->forward(idx));
    sum(logits).backward();
    const Tensor g = m.wte->weight.grad();
    REQUIRE(g.defined());
    // d/dW of sum(E[idx] W^T): every row gets sum of the looked-up rows (from the head), and the
    // looked-up rows also get the column sums of W (from the embedding).
    const Tensor W = m.wte->weight.detach();
    Tensor expected = native::expand(native::sum(native::index_select(W, 0, idx), {0}, true), {10, 4}).contiguous();
    for (std::int64_t r : {1, 2, 3}) {
        Tensor row = expected.select(0, r);
        native::copy_(row, native::add(row, native::sum(W, {0})));
    }
    CHECK(allclose(g, expected, 1e-5, 1e-5));
}

TEST_CASE("registration errors") {
    Module m;
    m.register_parameter("w", zeros({2}));
    CHECK_THROWS_AS(m.register_parameter("w", zeros({2})), ValueError);
    CHECK_THROWS_AS(m.register_parameter("a.b", zeros({2})), ValueError);
    CHECK_THROWS_AS(m.register_parameter("", zeros({2})), ValueError);
    CHECK_THROWS_AS(m.register_module("x", std::shared_ptr<Linear>()), ValueError);
    CHECK_THROWS_AS(m.replace_parameter("nope", zeros({2})), ValueError);
    Linear lin(3, 2);
    CHECK_THROWS_AS(lin.tie_weight(zeros({3, 2})), ShapeError);  // transposed shape
}

TEST_CASE("train/eval propagates to every descendant and switches dropout") {
    auto model = std::make_shared<TinyLM>();
    TinyLM& m = *model;
    CHECK(m.is_training());
    CHECK(m.blocks->operator[](1)->drop->is_training());
    m.eval();
    for (const auto& [n, mod] : m.named_modules()) CHECK_FALSE(mod->is_training());
    const Tensor x = ones({8, 4});
    CHECK(equal(m.blocks->operator[](0)->drop->forward(x), x));
    m.train();
    for (const auto& [n, mod] : m.named_modules()) CHECK(mod->is_training());
    m.blocks->operator[](0)->train(false);
    CHECK_FALSE(m.blocks->operator[](0)->fc->is_training());
    CHECK(m.blocks->operator[](1)->fc->is_training());
}

TEST_CASE("freezing a subtree; zero_grad") {
    TinyLM m;
    const std::int64_t total = m.num_parameters();
    m.blocks->operator[](0)->requires_grad_(false);
    CHECK_FALSE(m.blocks->operator[](0)->fc->weight.requires_grad());
    CHECK(m.blocks->operator[](1)->fc->weight.requires_grad());
    CHECK(m.num_parameters(/*only_trainable=*/true) == total - (16 + 4 + 4 + 4));
    auto& b0 = *m.blocks->operator[](0);
    auto& b1 = *m.blocks->operator[](1);
    const Tensor x = randn({2, 4});
    sum(b1.fc->forward(b0.fc->forward(x))).backward();
    CHECK_FALSE(b0.fc->weight.grad().defined());
    CHECK(b1.fc->weight.grad().defined());
    m.zero_grad(/*set_to_none=*/false);
    CHECK(b1.fc->weight.grad().defined());
    CHECK(native::all(native::eq(b1.fc->weight.grad(), 0.0)).item<bool>());
    m.zero_grad();
    CHECK_FALSE(b1.fc->weight.grad().defined());
    m.requires_grad_(true);
    CHECK(m.num_parameters(true) == total);
}

TEST_CASE("to(dtype) converts in place: handles held by layers stay valid") {
    TinyLM m;
    const Tensor held = m.blocks->operator[](0)->fc->weight;
    const std::vector<float> before = held.to_vector<float>();
    m.to(DType::f64);
    CHECK(held.dtype() == DType::f64);
    CHECK(m.blocks->operator[](0)->fc->weight.is_same(held));
    CHECK(m.named_parameters()[1].second.is_same(held));
    const std::vector<double> after = held.to_vector<double>();
    for (std::size_t i = 0; i < before.size(); ++i) CHECK(after[i] == static_cast<double>(before[i]));
    CHECK(held.requires_grad());
    CHECK(m.head->weight.is_same(m.wte->weight));
    CHECK(m.wte->weight.dtype() == DType::f64);
    for (const auto& [n, b] : m.named_buffers()) CHECK(b.dtype() == DType::f64);
    // The converted model runs in float64 and its gradients are float64.
    const Tensor logits = m.head->forward(m.blocks->operator[](0)->fc->forward(
        m.wte->forward(from_vector<std::int64_t>({1, 2}, Dims{2}))));
    CHECK(logits.dtype() == DType::f64);
    sum(logits).backward();
    CHECK(held.grad().dtype() == DType::f64);
}

TEST_CASE("state_dict round trip; load_state_dict strict and non-strict errors") {
    manual_seed(1);
    TinyLM a;
    manual_seed(2);
    TinyLM b;
    CHECK_FALSE(equal(a.wte->weight, b.wte->weight));
    b.load_state_dict(a.state_dict());
    for (std::size_t i = 0; i < a.parameters().size(); ++i) CHECK(equal(a.parameters()[i], b.parameters()[i]));
    // Loading copies values: b's handles are still its own.
    CHECK_FALSE(a.wte->weight.shares_storage(b.wte->weight));
    CHECK(b.head->weight.is_same(b.wte->weight));

    NamedTensors missing = a.state_dict();
    missing.erase(missing.begin() + 1);  // blocks.0.fc.weight
    CHECK_THROWS_WITH_AS(b.load_state_dict(missing), doctest::Contains("blocks.0.fc.weight"), ValueError);
    CHECK_NOTHROW(b.load_state_dict(missing, /*strict=*/false));

    NamedTensors extra = a.state_dict();
    extra.emplace_back("blocks.9.fc.weight", zeros({4, 4}));
    CHECK_THROWS_WITH_AS(b.load_state_dict(extra), doctest::Contains("unexpected key 'blocks.9.fc.weight'"),
                         ValueError);
    CHECK_NOTHROW(b.load_state_dict(extra, false));

    NamedTensors wrong_shape = a.state_dict();
    wrong_shape[1].second = zeros({4, 5});
    CHECK_THROWS_WITH_AS(b.load_state_dict(wrong_shape, false), doctest::Contains("blocks.0.fc.weight"), ShapeError);

    NamedTensors wrong_dtype = a.state_dict();
    wrong_dtype[1].second = zeros({4, 4}, DType::i64);
    CHECK_THROWS_AS(b.load_state_dict(wrong_dtype), DTypeError);
}

TEST_CASE("printing a small module tree as PyTorch does") {
    Sequential seq(std::make_shared<Linear>(2, 3), std::make_shared<ReLU>(), std::make_shared<Dropout>(0.25),
                   std::make_shared<LayerNorm>(3), std::make_shared<Linear>(3, 1, false));
    CHECK(seq.str() ==
          "Sequential(\n"
          "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
          "  (1): ReLU()\n"
          "  (2): Dropout(p=0.25, inplace=False)\n"
          "  (3): LayerNorm((3,), eps=1e-05, elementwise_affine=True)\n"
          "  (4): Linear(in_features=3, out_features=1, bias=False)\n"
          ")");
    std::ostringstream os;
    os << *std::make_shared<Embedding>(5, 2, 0);
    CHECK(os.str() == "Embedding(5, 2, padding_idx=0)");
    CHECK(seq.forward(ones({4, 2})).sizes() == Dims{4, 1});

    TinyLM m;
    const std::string s = m.str();
    CHECK(s.find("TinyLM(\n  (wte): Embedding(10, 4)\n  (blocks): ModuleList(\n    (0): Block(\n") == 0);
    CHECK(s.find("      (fc): Linear(in_features=4, out_features=4, bias=True)\n") != std::string::npos);
}

TEST_CASE("apply visits children before parents") {
    TinyLM m;
    std::vector<std::string> order;
    m.apply([&](Module& mod) { order.push_back(mod.type_name()); });
    CHECK(order.front() == "Embedding");
    CHECK(order.back() == "TinyLM");
    CHECK(order.size() == 12);
}
