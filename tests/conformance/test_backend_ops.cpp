// Backend conformance, in the spirit of ggml's test-backend-ops: every op runs
// on random inputs (shapes with broadcasting, non-contiguous layouts,
// zero-size and large tensors) on the `cpu` backend and on the `reference`
// backend, and the results must agree at a dtype-appropriate tolerance.
#include <doctest/doctest.h>

#include <set>

#include "peso.h"
#include "tests/support/backend_op_cases.h"

using namespace peso;

namespace {

using namespace peso::testing;

std::vector<Tensor> run_on(std::string_view backend, const OpCase& op, std::uint64_t seed, Layout layout, Size size,
                           Precision precision = Precision::native) {
    CpuBackendGuard guard(backend);
    REQUIRE(cpu_backend_name() == backend);
    Generator gen(seed);
    Ctx ctx{gen, layout, size, Device::cpu(), precision};
    return op.run(ctx);
}

// bf16 tolerance: every bf16 rounding is within 2^-8 of the value it rounds
// (8 significant bits, ties to even). A case's float32 tensors are bf16 and
// its ops compute in float32 (or wider) and round once; some cases chain two
// ops (a bf16 intermediate). So each element must be within 2^-7 (two
// roundings) of the float32 oracle's element, plus 2^-7 of the output's
// largest magnitude for a second op that cancels what the first one rounded.
constexpr double kBf16Tolerance = 1.0 / 128;

void compare_bf16(const OpCase& op, std::string_view backend, std::uint64_t seed, Layout layout, Size size) {
    const auto low = run_on(backend, op, seed, layout, size, Precision::bf16);
    const auto oracle = run_on("reference", op, seed, layout, size, Precision::bf16_values);
    REQUIRE(low.size() == oracle.size());
    for (std::size_t k = 0; k < low.size(); ++k) {
        INFO(op.name, " on ", backend, " output ", k, " seed ", seed, " layout ", peso::testing::layout_name(layout),
             " shape ", oracle[k].sizes().str());
        REQUIRE(low[k].sizes() == oracle[k].sizes());
        // Results of bf16 operands are bf16 (float32 in the oracle); the others (bool, integer, float64,
        // and float32 made from integers, as true division makes) keep their dtype.
        CHECK((low[k].dtype() == oracle[k].dtype() || (low[k].dtype() == DType::bf16 && oracle[k].dtype() == DType::f32)));
        if (oracle[k].numel() == 0) continue;
        const Tensor x = low[k].to(DType::f64), y = oracle[k].to(DType::f64);
        const double scale = amax(abs(where(isnan(y), 0.0, y))).item<double>();
        const Tensor bound = add(mul(abs(y), kBf16Tolerance), kBf16Tolerance * scale + 1e-12);
        const Tensor ok = logical_or(le(abs(sub(x, y)), bound), logical_and(isnan(x), isnan(y)));
        const bool close = all(logical_or(ok, eq(x, y))).item<bool>();  // eq: equal infinities
        if (!close) {
            INFO("max abs difference ", amax(abs(sub(x, y))).item<double>(), " scale ", scale);
            CHECK(close);
        }
    }
}

void compare(const OpCase& op, std::uint64_t seed, Layout layout, Size size) {
    const auto fast = run_on("cpu", op, seed, layout, size);
    const auto ref = run_on("reference", op, seed, layout, size);
    REQUIRE(fast.size() == ref.size());
    for (std::size_t k = 0; k < fast.size(); ++k) {
        INFO(op.name, " output ", k, " seed ", seed, " layout ", peso::testing::layout_name(layout), " shape ",
             ref[k].sizes().str());
        REQUIRE(fast[k].sizes() == ref[k].sizes());
        REQUIRE(fast[k].dtype() == ref[k].dtype());
        const bool close = allclose(fast[k], ref[k], op.rtol, op.atol, /*equal_nan=*/true);
        if (!close) {
            const Tensor diff = abs(sub(fast[k].to(DType::f64), ref[k].to(DType::f64)));
            INFO("max abs difference ", amax(diff).item<double>());
            CHECK(close);
        }
    }
}

}  // namespace

TEST_CASE("conformance: cpu matches reference on every op, layout and size") {
    int compared = 0;
    for (const OpCase& op : all_cases()) {
        try {
            for (Layout layout : peso::testing::kAllLayouts) {
                for (std::uint64_t seed = 1; seed <= 3; ++seed) {
                    compare(op, seed * 7919 + static_cast<std::uint64_t>(layout), layout, {1, 6});
                    ++compared;
                }
            }
            if (op.empty_ok) compare(op, 99, Layout::contiguous, {0, 3});  // zero-size dims appear
            if (op.large) compare(op, 123, Layout::strided, {30, 40});  // large enough for the parallel paths
            MESSAGE("conformance ok: ", op.name);
        } catch (const std::exception& e) {
            FAIL_CHECK(op.name, " threw: ", std::string(e.what()));
        }
    }
    CHECK(compared > 100);
}

TEST_CASE("conformance: bf16 on cpu and reference against the float32 oracle, every op and layout") {
    // Not run in bf16: the optimizers update float32 master weights (bf16
    // parameters are refused), and `random` draws bernoulli(0.3), whose
    // threshold is not a bf16 number (a different, equally valid stream).
    // `attention` runs in bf16 (its float32 kernel on widened copies) but its
    // case feeds the forward's lse, stored in the inputs' dtype, to the
    // backward: an lse rounded to bf16 (2^-8 of ~5) moves every probability by
    // ~2%, beyond these tolerances. bf16 attention wants a float32 lse, as
    // FlashAttention keeps it (left to the fused-attention work).
    const std::set<std::string> skipped = {"adam_step", "sgd_step", "random", "attention"};
    int compared = 0;
    for (const OpCase& op : all_cases()) {
        if (skipped.count(op.name)) continue;
        for (const char* backend : {"cpu", "reference"}) {
            try {
                for (Layout layout : peso::testing::kAllLayouts) {
                    compare_bf16(op, backend, 31 + static_cast<std::uint64_t>(layout), layout, {1, 6});
                    ++compared;
                }
                if (op.large) compare_bf16(op, backend, 123, Layout::strided, {30, 40});
            } catch (const std::exception& e) {
                FAIL_CHECK(op.name, " (bf16 on ", backend, ") threw: ", std::string(e.what()));
            }
        }
    }
    CHECK(compared > 100);
}

TEST_CASE("conformance: every backend primitive is exercised by some case") {
    // The op families of backend.h; a new primitive needs a case here.
    const std::set<std::string> covered = [] {
        std::set<std::string> names;
        for (const auto& c : all_cases()) names.insert(c.name);
        return names;
    }();
    for (const char* needed : {"copy", "fill", "arange", "random", "add", "where", "sum", "var_std", "max_min_dim",
                               "matmul", "softmax", "layer_norm", "layer_norm_backward", "cross_entropy", "attention",
                               "adam_step", "sgd_step", "norm_powers", "embedding_index_select", "index_add",
                               "gather_scatter", "sort_topk_cumsum"}) {
        CHECK_MESSAGE(covered.count(needed) == 1, "no conformance case for ", needed);
    }
}

TEST_CASE("conformance: every elementwise primitive of the manifests has a case named for it") {
    std::set<std::string> names;
    for (const auto& c : all_cases()) names.insert(c.name);
#define PESO_UNARY_OP(id, name, result) CHECK_MESSAGE(names.count(#id) == 1, "no conformance case for unary " #id);
#include "backends/unary_ops.def"
#undef PESO_UNARY_OP
#define PESO_BINARY_OP(id, name, result) CHECK_MESSAGE(names.count(#id) == 1, "no conformance case for binary " #id);
#include "backends/binary_ops.def"
#undef PESO_BINARY_OP
}

TEST_CASE("conformance: reductions without an identity refuse empty dims on every backend") {
    for (const char* b : {"cpu", "reference"}) {
        CpuBackendGuard g(b);
        CHECK_THROWS_AS(amax(zeros({0, 3}), {0}), Error);
        CHECK_THROWS_AS(max(zeros({2, 0}), 1), Error);
        CHECK(amax(zeros({0, 3}), {1}).sizes() == Dims{0});  // reducing a non-empty dim of an empty tensor is fine
    }
}
