#pragma once
// Runs the gradcheck samples (gradcheck_samples.h) and counts coverage from
// what actually ran: an op is covered when a passing sample's function
// recorded a node of its name (autograd::RecordedOps), an option value when a
// passing sample exercised it. Each sample runs gradcheck, gradgradcheck for
// ops the registry marks twice differentiable, and compares its analytic
// gradient with the reference backend's.
#include <optional>
#include <string>
#include <vector>

#include "tests/support/gradcheck_samples.h"

namespace peso::testing {

struct SuiteConfig {
    // Where the functions run: none = on their cpu inputs (the analytic
    // gradient is then compared between the cpu and reference backends);
    // a device = on copies of the inputs there, made inside the graph.
    std::optional<Device> device;
    double atol = 1e-12, rtol = 1e-10;  // analytic gradient vs the reference backend's
};

struct SuiteResult {
    std::vector<std::string> failures;  // one per failing sample, and one per uncovered op or option value
    std::vector<std::string> op_lines;  // per op: samples run, worst errors
    std::vector<std::string> notes;     // samples skipped, and why
    std::string summary;    // "gradcheck: N of M differentiable ops covered, S samples, V of W option values covered"
    bool complete = false;  // every op and every option value covered
};

SuiteResult run_gradcheck_suite(const SuiteConfig& config);

// fn with its inputs copied to `device` and its outputs copied back: the
// copies are part of the graph, so forward and backward both run on `device`
// while gradcheck perturbs cpu inputs.
autograd::GradcheckFn on_device(autograd::GradcheckFn fn, Device device);

}  // namespace peso::testing
