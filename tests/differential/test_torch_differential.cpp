// peso against PyTorch 1.13 on every differentiable op: outputs, first- and
// second-order gradients of the random cases in
// tests/fixtures/differential (scripts/make_torch_differential.py writes
// them; tests/support/torch_differential.h runs them and states the
// tolerances). Each failing case is printed with its op, options, shapes,
// layouts and values, ready to become a unit test.
#include <doctest/doctest.h>

#include "tests/support/torch_differential.h"

using namespace peso;
using namespace peso::testing::differential;

TEST_CASE("differential: every registered op has PyTorch cases") {
    const auto missing = uncovered_registry_ops();
    for (const auto& name : missing) FAIL_CHECK("no differential case exercises registered op ", name);
    CHECK(fixture().cases.size() >= 3000);
}

TEST_CASE("differential: peso matches PyTorch on the cpu backend") {
    CpuBackendGuard g("cpu");
    const auto s = run_cases("differential", Device::cpu(), [](std::size_t, const json&) { return true; });
    CHECK(s.cases == fixture().cases.size());
    CHECK(s.failures == 0);
}

TEST_CASE("differential: peso matches PyTorch on the reference backend") {
    CpuBackendGuard g("reference");
    const auto s = run_cases("differential (reference)", Device::cpu(), [](std::size_t, const json&) { return true; });
    CHECK(s.failures == 0);
}
