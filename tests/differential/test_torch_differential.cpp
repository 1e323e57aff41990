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

namespace {

void run_on_backend(const char* backend, const std::string& label) {
    CpuBackendGuard g(backend);
    const auto s = run_cases(label, Device::cpu(), [](std::size_t, const json&) { return true; });
    CHECK(s.cases == fixture().cases.size());
    CHECK(s.cases >= 3000);
    CHECK(s.failures == 0);
    // Every registered op was recorded by some passing case, but to_device: it records only
    // when the device changes, which the cuda run of these cases (tests/cuda) checks.
    for (const auto& name : uncovered_registry_ops(s))
        if (name != "to_device") FAIL_CHECK("no passing differential case recorded op ", name);
}

}  // namespace

TEST_CASE("differential: peso matches PyTorch on the cpu backend") { run_on_backend("cpu", "differential"); }

TEST_CASE("differential: peso matches PyTorch on the reference backend") {
    run_on_backend("reference", "differential (reference)");
}
