// The PyTorch differential cases (tests/support/torch_differential.h) on the
// emulated CUDA device: inputs, upstream gradients and second-order weights
// are built on cuda in their recorded layouts, so forward and both backward
// passes run there, and every output and gradient must stay there. All cases
// run: with tensors this small the emulator takes about a second for them.
#include <doctest/doctest.h>

#include "tests/support/torch_differential.h"

using namespace peso;
using namespace peso::testing::differential;

TEST_CASE("cuda differential: peso on the emulated device matches PyTorch") {
    const auto s = run_cases("cuda differential", Device::cuda(0), [](std::size_t, const json&) { return true; });
    CHECK(s.cases == fixture().cases.size());
    CHECK(s.failures == 0);
    for (const auto& name : uncovered_registry_ops(s)) FAIL_CHECK("no passing differential case recorded op ", name);
}
