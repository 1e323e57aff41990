// The PyTorch differential cases (tests/support/torch_differential.h) on the
// emulated CUDA device: inputs, upstream gradients and second-order weights
// are built on cuda in their recorded layouts, so forward and both backward
// passes run there. A subset (the first kPerOp cases of each interpreter
// function): the emulator is slow.
#include <doctest/doctest.h>

#include <map>

#include "tests/support/torch_differential.h"

using namespace peso;
using namespace peso::testing::differential;

namespace {
constexpr int kPerOp = 5;
}

TEST_CASE("cuda differential: peso on the emulated device matches PyTorch") {
    std::map<std::string, int> taken;
    const auto s = run_cases("cuda differential", Device::cuda(0), [&](std::size_t, const json& c) {
        return taken[c["op"].get<std::string>()]++ < kPerOp;
    });
    CHECK(s.cases >= 400);
    CHECK(s.failures == 0);
}
