// The gradcheck suite (tests/support/gradcheck_samples.h) on the emulated CUDA
// device: each sample's function runs on cuda copies of its float64 inputs
// (the copies are part of the graph, so the backward runs on cuda too), and
// its gradient must match central finite differences and, up to rounding, the
// analytic gradient computed on the cpu reference backend. Every sample runs,
// with gradgradcheck for twice-differentiable ops, as on the cpu: at these
// sizes the emulated device takes a few seconds for all of them.
#include <doctest/doctest.h>

#include <cstdio>

#include "peso.h"
#include "tests/support/gradcheck_suite.h"

using namespace peso;
using namespace peso::testing;

TEST_CASE("cuda gradcheck: every differentiable op, every option value, on the emulated device") {
    SuiteConfig cfg;
    cfg.device = Device::cuda(0);
    cfg.atol = 1e-11;
    cfg.rtol = 1e-9;
    const SuiteResult r = run_gradcheck_suite(cfg);
    for (const std::string& line : r.op_lines) std::printf("%s\n", line.c_str());
    for (const std::string& note : r.notes) std::printf("note: %s\n", note.c_str());
    for (const std::string& f : r.failures) FAIL_CHECK(f);
    std::printf("%s\n", r.summary.c_str());
    CHECK(r.complete);
}
